#include "report/study_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "core/json_text.hpp"
#include "core/units.hpp"
#include "report/summary_json.hpp"
#include "report/text_format.hpp"

namespace coldbench::report {
namespace {

const std::string kNone = "-";

std::string joined(const std::vector<std::string>& items) {
  if (items.empty()) return kNone;
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

}  // namespace

std::string format_limits(const analysis::StudyRow& row) {
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

std::string format_threads(const analysis::StudyRow& row) {
  auto text = [](const std::optional<int>& n) { return n ? std::to_string(*n) : std::string("?"); };
  if (!row.compute_threads && !row.interop_threads) return kNone;
  return text(row.compute_threads) + " / " + text(row.interop_threads);
}

std::string format_cache(const analysis::StudyRow& row) {
  std::string mode = row.cache_mode.empty() ? kNone : row.cache_mode;
  if (!row.residency_percent) return mode;
  return fmt::format("{}, {:.1f} % resident", mode, *row.residency_percent);
}

std::string format_throttling(const analysis::StudyRow& row) {
  if (!row.throttled_fraction && !row.throttled_ms) return kNone;
  std::vector<std::string> parts;
  if (row.throttled_fraction)
    parts.push_back(fmt::format("{:.0f} % of periods", 100.0 * *row.throttled_fraction));
  if (row.throttled_ms) parts.push_back(format_value(*row.throttled_ms, "ms"));
  return parts.size() == 2 ? parts[0] + ", " + parts[1] : parts[0];
}

std::string format_oversubscription(const analysis::StudyRow& row) {
  if (const auto& o = row.oversubscription) {
    return fmt::format("YES: {} threads > {} CPU{}", o->compute_threads, o->effective_cpus,
                       o->effective_cpus == 1 ? "" : "s");
  }
  return row.compute_threads && row.effective_cpus ? "no" : kNone;
}

StudyGrid setup_grid(const analysis::StudyTable& table) {
  StudyGrid grid;
  grid.groups = {{"", 2}, {"isolation and CPUs", 4}, {"workload", 2}, {"page cache", 1}};
  grid.header = {"config", "runs ok",    "isolation",
                 "limits", "eff. CPUs",  "threads (compute / interop)",
                 "env",    "parameters", "cache (resident before run)"};
  for (const auto& row : table.rows) {
    std::string cpus = row.effective_cpus ? std::to_string(*row.effective_cpus) : kNone;
    if (row.effective_cpus && row.effective_cpus_from_host) cpus += " (host)";
    grid.rows.push_back({row.config, fmt::format("{}/{}", row.succeeded_runs, row.measured_runs),
                         row.isolation, format_limits(row), cpus, format_threads(row),
                         joined(row.env), joined(row.parameters), format_cache(row)});
  }
  return grid;
}

StudyGrid results_grid(const analysis::StudyTable& table) {
  bool any_first_inference = std::any_of(table.rows.begin(), table.rows.end(), [](const analysis::StudyRow& r) {
    return r.time_to_first_inference.has_value();
  });
  // Each timing column in one unit, chosen from its largest value and named in its header.
  auto column_of = [&](const std::function<const stats::Summary*(const analysis::StudyRow&)>& pick) {
    std::vector<double> values;
    for (const auto& row : table.rows) {
      if (const stats::Summary* s = pick(row); s && s->n > 0)
        values.insert(values.end(), {s->median, s->median_ci.low, s->median_ci.high});
    }
    return time_column(values);
  };
  auto phase_of = [](const std::string& name) {
    return [name](const analysis::StudyRow& row) -> const stats::Summary* {
      auto it = row.phases.find(name);
      return it == row.phases.end() ? nullptr : &it->second;
    };
  };
  auto first_of = [](const analysis::StudyRow& row) -> const stats::Summary* {
    return row.time_to_first_inference ? &*row.time_to_first_inference : nullptr;
  };
  auto wall_of = [](const analysis::StudyRow& row) -> const stats::Summary* { return &row.wall; };
  std::vector<TimeColumn> units;
  StudyGrid grid;
  grid.header = {"config"};
  for (const auto& name : table.phase_names) {
    units.push_back(column_of(phase_of(name)));
    grid.header.push_back(fmt::format("{} ({})", name, units.back().unit));
  }
  if (any_first_inference) {
    units.push_back(column_of(first_of));
    grid.header.push_back(fmt::format("to first inference ({})", units.back().unit));
  }
  units.push_back(column_of(wall_of));
  grid.header.push_back(fmt::format("wall ({})", units.back().unit));
  int start_columns = static_cast<int>(grid.header.size()) - 1;
  for (const char* h : {"latency p50", "p95", "p99", "peak RSS", "throttled", "oversubscribed"})
    grid.header.push_back(h);
  grid.groups = {{"", 1},
                 {"cold start, median [CI] (coverage)", start_columns},
                 {"steady latency", 3},
                 {"resources", 3}};

  for (const auto& row : table.rows) {
    std::vector<std::string> cells{row.config};
    std::size_t column = 0;
    auto timing = [&](const stats::Summary* s) {
      const TimeColumn unit = units[column++];
      if (!s || s->n == 0) return kNone;
      return format_median_ci(*s, [&](double ms) { return in_column(ms, unit); });
    };
    for (const auto& name : table.phase_names) cells.push_back(timing(phase_of(name)(row)));
    if (any_first_inference) cells.push_back(timing(first_of(row)));
    cells.push_back(timing(wall_of(row)));
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

StudyGrid comparisons_grid(const analysis::SessionSummary& summary) {
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

nlohmann::json to_json(const analysis::StudyRow& row) {
  auto opt = [](const auto& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  auto stat = [&](const stats::Summary& s) {
    return nlohmann::json{{"n", s.n},
                          {"median", finite_or_null(s.median)},
                          {"ci_low", finite_or_null(s.median_ci.low)},
                          {"ci_high", finite_or_null(s.median_ci.high)},
                          {"ci_level", s.median_ci.level},
                          {"p95", finite_or_null(s.p95)},
                          {"p99", finite_or_null(s.p99)},
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
