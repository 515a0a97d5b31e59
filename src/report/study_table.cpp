#include "report/study_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "core/units.hpp"
#include "report/text_format.hpp"

namespace coldbench::report {
namespace {

const std::string kNone = "-";

// Sweep labels (src/sweep) that other columns already show; the rest are "parameters".
const std::set<std::string> kLabelsWithAColumn = {"config",   "cpus",    "cpuset", "memory",
                                                  "affinity", "threads", "cache",  "isolation"};

std::optional<int> as_int(const nlohmann::json& value) {
  if (value.is_number()) return static_cast<int>(std::lround(value.get<double>()));
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    char* end = nullptr;
    long parsed = std::strtol(text.c_str(), &end, 10);
    if (!text.empty() && end && *end == '\0') return static_cast<int>(parsed);
  }
  return std::nullopt;
}

std::optional<double> median_of(const std::vector<SampleSummary>& samples,
                                const std::string& name) {
  for (const auto& s : samples) {
    if (s.name == name && s.summary.n > 0) return s.summary.median;
  }
  return std::nullopt;
}

std::string median_ci(const stats::Summary& s, const std::string& unit) {
  if (s.n == 0) return kNone;
  return format_median_ci(s, unit);
}

std::string joined(const std::vector<std::string>& items) {
  if (items.empty()) return kNone;
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

// Phase names of all configs in the order they happen: by median end time over every successful
// run.
std::vector<std::string> ordered_phase_names(const ResultsDocument& document) {
  std::map<std::string, std::vector<double>> ends;
  for (const auto& run : document.runs) {
    if (run.warmup || !run.succeeded()) continue;
    for (const auto& p : run.phases) ends[p.name].push_back(p.end_ms);
  }
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [name, values] : ends) order.emplace_back(stats::median(values), name);
  std::sort(order.begin(), order.end());
  std::vector<std::string> names;
  for (auto& entry : order) names.push_back(std::move(entry.second));
  return names;
}

void fill_setup(StudyRow& row, const ResultsDocument& document,
                const std::vector<const RunRecord*>& runs, const CommandSummary& summary) {
  const RunRecord* first = runs.empty() ? nullptr : runs.front();
  row.isolation = first && !first->isolation.empty() ? first->isolation : "host";
  std::map<std::string, int> cache_modes;
  bool limits_seen = false;
  for (const auto* run : runs) {
    if (run->limits && !limits_seen) {  // a config's limits are the same for every run
      limits_seen = true;
      row.cpus = run->limits->cpus;
      row.cpuset = run->limits->cpuset;
      row.memory_bytes = run->limits->memory_bytes;
      row.affinity = run->limits->affinity;
      row.effective_cpus = run->limits->effective_cpus;
    }
    if (run->residency && !run->residency->cache_mode.empty())
      ++cache_modes[run->residency->cache_mode];
  }
  if (!row.effective_cpus && document.host.online_cpus > 0) {
    row.effective_cpus = document.host.online_cpus;
    row.effective_cpus_from_host = true;
  }
  for (const auto& [mode, count] : cache_modes) {
    if (row.cache_mode.empty() || count > cache_modes[row.cache_mode]) row.cache_mode = mode;
  }
  if (summary.residency) row.residency_percent = summary.residency->summary.median;

  for (const char* key : {"torch.num_threads", "compute_threads"}) {
    auto it = summary.info.find(key);
    if (!row.compute_threads && it != summary.info.end()) row.compute_threads = as_int(it->second);
  }
  if (!row.compute_threads && first && first->limits)
    row.compute_threads = as_int(first->limits->threads);
  if (auto it = summary.info.find("torch.num_interop_threads"); it != summary.info.end()) {
    row.interop_threads = as_int(it->second);
  }
  if (first) {
    for (const auto& [key, value] : first->labels) {
      if (key.rfind("env.", 0) == 0) {
        row.env.push_back(key.substr(4) + "=" + value);
      } else if (!kLabelsWithAColumn.count(key)) {
        row.parameters.push_back(key + "=" + value);
      }
    }
    if (auto it = first->labels.find("threads");
        !row.compute_threads && it != first->labels.end()) {
      row.compute_threads = as_int(it->second);
    }
    // Without residency snapshots, the cache state the sweep asked for.
    if (auto it = first->labels.find("cache");
        row.cache_mode.empty() && it != first->labels.end()) {
      row.cache_mode = it->second;
    }
  }
  if (row.env.empty() && document.options.contains("env") && document.options["env"].is_array()) {
    for (const auto& entry : document.options["env"]) {
      if (entry.is_string()) row.env.push_back(entry.get<std::string>());
    }
  }
}

void fill_results(StudyRow& row, const std::vector<const RunRecord*>& ok,
                  const CommandSummary& summary) {
  for (const auto& p : summary.phases) row.phases[p.name] = p.summary;
  row.wall = summary.wall.summary;
  std::vector<double> first_inference, throttled;
  for (const auto* run : ok) {
    if (const auto* p = run->phase(kFirstInferencePhase)) first_inference.push_back(p->end_ms);
    if (run->cgroup && run->cgroup->periods && run->cgroup->throttled_periods &&
        *run->cgroup->periods > 0) {
      throttled.push_back(double(*run->cgroup->throttled_periods) / double(*run->cgroup->periods));
    }
  }
  if (!first_inference.empty()) row.time_to_first_inference = stats::summarize(first_inference);
  if (!throttled.empty()) row.throttled_fraction = stats::median(throttled);
  for (const auto& m : summary.metrics) {
    if (m.name == kLatencyMetric && m.summary.n > 0) {
      row.latency = m.summary;
      row.latency_unit = m.unit.empty() ? "ms" : m.unit;
    }
  }
  row.peak_rss_kb = median_of(summary.process, "max_rss");
  row.involuntary_switches = median_of(summary.process, "involuntary_switches");
  row.memory_peak_bytes = median_of(summary.cgroup, "memory_peak");
  row.throttled_ms = median_of(summary.cgroup, "throttled_time");
  row.oversubscription = summary.oversubscription;
  // Without limits the effective CPUs are the host's; the summary only judges limited runs.
  if (!row.oversubscription && row.effective_cpus_from_host && row.compute_threads &&
      row.effective_cpus && *row.compute_threads > *row.effective_cpus) {
    Oversubscription o;
    o.source = "threads reported vs the host's online CPUs";
    o.compute_threads = *row.compute_threads;
    o.effective_cpus = *row.effective_cpus;
    o.runs = static_cast<int>(ok.size());
    o.involuntary_switches = row.involuntary_switches.value_or(0);
    row.oversubscription = o;
  }
}

}  // namespace

StudyTable build_study_table(const ResultsDocument& document, const SessionSummary& summary) {
  StudyTable table;
  table.phase_names = ordered_phase_names(document);
  for (std::size_t c = 0; c < summary.commands.size(); ++c) {
    const CommandSummary& command = summary.commands[c];
    std::vector<const RunRecord*> measured, ok;
    for (const auto& run : document.runs) {
      if (run.command_index != static_cast<int>(c) || run.warmup) continue;
      measured.push_back(&run);
      if (run.succeeded()) ok.push_back(&run);
    }
    StudyRow row;
    row.config = command.name;
    row.measured_runs = command.measured_runs;
    row.succeeded_runs = command.succeeded_runs;
    fill_setup(row, document, measured, command);
    fill_results(row, ok, command);
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string format_limits(const StudyRow& row) {
  std::vector<std::string> parts;
  if (row.cpus) parts.push_back(fmt::format("cpus {:g}", *row.cpus));
  if (!row.cpuset.empty()) parts.push_back("cpuset " + row.cpuset);
  if (row.memory_bytes) parts.push_back("mem " + format_bytes(double(*row.memory_bytes)));
  if (!row.affinity.empty()) parts.push_back("affinity " + row.affinity);
  if (parts.empty()) return kNone;
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::string format_threads(const StudyRow& row) {
  auto text = [](const std::optional<int>& n) { return n ? std::to_string(*n) : std::string("?"); };
  if (!row.compute_threads && !row.interop_threads) return kNone;
  return text(row.compute_threads) + " / " + text(row.interop_threads);
}

std::string format_cache(const StudyRow& row) {
  std::string mode = row.cache_mode.empty() ? kNone : row.cache_mode;
  if (!row.residency_percent) return mode;
  return fmt::format("{}, {:.1f} % resident", mode, *row.residency_percent);
}

std::string format_throttling(const StudyRow& row) {
  if (!row.throttled_fraction && !row.throttled_ms) return kNone;
  std::vector<std::string> parts;
  if (row.throttled_fraction)
    parts.push_back(fmt::format("{:.0f} % of periods", 100.0 * *row.throttled_fraction));
  if (row.throttled_ms) parts.push_back(format_value(*row.throttled_ms, "ms"));
  return parts.size() == 2 ? parts[0] + ", " + parts[1] : parts[0];
}

std::string format_oversubscription(const StudyRow& row) {
  if (const auto& o = row.oversubscription) {
    return fmt::format("YES: {} threads > {} CPU{}", o->compute_threads, o->effective_cpus,
                       o->effective_cpus == 1 ? "" : "s");
  }
  return row.compute_threads && row.effective_cpus ? "no" : kNone;
}

StudyGrid StudyTable::setup_grid() const {
  StudyGrid grid;
  grid.groups = {{"", 2}, {"isolation and CPUs", 4}, {"workload", 2}, {"page cache", 1}};
  grid.header = {"config", "runs ok",    "isolation",
                 "limits", "eff. CPUs",  "threads (compute / interop)",
                 "env",    "parameters", "cache (resident before run)"};
  for (const auto& row : rows) {
    std::string cpus = row.effective_cpus ? std::to_string(*row.effective_cpus) : kNone;
    if (row.effective_cpus && row.effective_cpus_from_host) cpus += " (host)";
    grid.rows.push_back({row.config, fmt::format("{}/{}", row.succeeded_runs, row.measured_runs),
                         row.isolation, format_limits(row), cpus, format_threads(row),
                         joined(row.env), joined(row.parameters), format_cache(row)});
  }
  return grid;
}

StudyGrid StudyTable::results_grid() const {
  bool any_first_inference = std::any_of(rows.begin(), rows.end(), [](const StudyRow& r) {
    return r.time_to_first_inference.has_value();
  });
  StudyGrid grid;
  grid.header = {"config"};
  for (const auto& name : phase_names) grid.header.push_back(name);
  if (any_first_inference) grid.header.push_back("to first inference");
  grid.header.push_back("wall");
  int start_columns = static_cast<int>(grid.header.size()) - 1;
  for (const char* h : {"latency p50", "p95", "p99", "peak RSS", "throttled", "oversubscribed"})
    grid.header.push_back(h);
  grid.groups = {{"", 1},
                 {"cold start, median [CI] (coverage)", start_columns},
                 {"steady latency", 3},
                 {"resources", 3}};

  for (const auto& row : rows) {
    std::vector<std::string> cells{row.config};
    for (const auto& name : phase_names) {
      auto it = row.phases.find(name);
      cells.push_back(it == row.phases.end() ? kNone : median_ci(it->second, "ms"));
    }
    if (any_first_inference) {
      cells.push_back(row.time_to_first_inference ? median_ci(*row.time_to_first_inference, "ms")
                                                  : kNone);
    }
    cells.push_back(median_ci(row.wall, "ms"));
    cells.push_back(row.latency ? format_value(row.latency->median, row.latency_unit) : kNone);
    for (double p : {0.95, 0.99})
      cells.push_back(row.latency ? format_tail(*row.latency, p, row.latency_unit) : kNone);
    cells.push_back(row.peak_rss_kb ? format_value(*row.peak_rss_kb, "KiB") : kNone);
    cells.push_back(format_throttling(row));
    cells.push_back(format_oversubscription(row));
    grid.rows.push_back(std::move(cells));
  }
  return grid;
}

StudyGrid comparisons_grid(const SessionSummary& summary) {
  StudyGrid grid;
  grid.header = {"config", "vs", "quantity", "ratio [CI] (coverage)", p_header(summary.policy), "detects",
                 "verdict"};
  grid.groups = {{"", 3}, {"candidate / baseline", 4}};
  for (const auto& cmp : summary.comparisons) {
    for (const auto& q : cmp.quantities) {
      const auto& r = q.comparison;
      grid.rows.push_back({cmp.candidate, cmp.baseline, q.quantity, format_ratio_ci(r), format_p(r.p_adjusted),
                           format_mde(r), format_verdict(r)});
    }
  }
  return grid;
}

nlohmann::json to_json(const StudyRow& row) {
  auto opt = [](const auto& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  auto num = [](double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  auto stat = [&](const stats::Summary& s) {
    return nlohmann::json{{"n", s.n},
                          {"median", num(s.median)},
                          {"ci_low", num(s.median_ci.low)},
                          {"ci_high", num(s.median_ci.high)},
                          {"ci_level", s.median_ci.level},
                          {"p95", num(s.p95)},
                          {"p99", num(s.p99)},
                          {"p95_ci", to_json(s.p95_ci)},
                          {"p99_ci", to_json(s.p99_ci)}};
  };
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [name, s] : row.phases) phases[name] = stat(s);
  return {{"config", row.config},
          {"measured_runs", row.measured_runs},
          {"succeeded_runs", row.succeeded_runs},
          {"isolation", row.isolation},
          {"limits",
           {{"cpus", opt(row.cpus)},
            {"cpuset", row.cpuset},
            {"memory_bytes", opt(row.memory_bytes)},
            {"affinity", row.affinity},
            {"effective_cpus", opt(row.effective_cpus)}}},
          {"compute_threads", opt(row.compute_threads)},
          {"interop_threads", opt(row.interop_threads)},
          {"env", row.env},
          {"parameters", row.parameters},
          {"cache_mode", row.cache_mode},
          {"residency_percent", opt(row.residency_percent)},
          {"phases", phases},
          {"time_to_first_inference",
           row.time_to_first_inference ? stat(*row.time_to_first_inference) : nullptr},
          {"wall", stat(row.wall)},
          {"latency", row.latency ? stat(*row.latency) : nullptr},
          {"latency_unit", row.latency_unit},
          {"peak_rss_kb", opt(row.peak_rss_kb)},
          {"memory_peak_bytes", opt(row.memory_peak_bytes)},
          {"throttled_fraction", opt(row.throttled_fraction)},
          {"throttled_ms", opt(row.throttled_ms)},
          {"oversubscribed", row.oversubscribed()}};
}

}  // namespace coldbench::report
