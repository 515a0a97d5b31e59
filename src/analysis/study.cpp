#include "analysis/study.hpp"

#include <coldbench/marker.hpp>

#include <cmath>
#include <cstdlib>
#include <set>

#include "analysis/run_samples.hpp"

namespace coldbench::analysis {
namespace {

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

  for (const char* key : {marker::kInfoTorchNumThreads, marker::kInfoComputeThreads}) {
    auto it = summary.info.find(key);
    if (!row.compute_threads && it != summary.info.end()) row.compute_threads = as_int(it->second);
  }
  if (!row.compute_threads && first && first->limits)
    row.compute_threads = as_int(first->limits->threads);
  if (auto it = summary.info.find(marker::kInfoTorchNumInteropThreads); it != summary.info.end()) {
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
    if (const auto* p = run->phase(marker::kPhaseFirstInference)) first_inference.push_back(p->end_ms);
    if (run->cgroup && run->cgroup->periods && run->cgroup->throttled_periods &&
        *run->cgroup->periods > 0) {
      throttled.push_back(double(*run->cgroup->throttled_periods) / double(*run->cgroup->periods));
    }
  }
  if (!first_inference.empty()) row.time_to_first_inference = stats::summarize(first_inference);
  if (!throttled.empty()) row.throttled_fraction = stats::median(throttled);
  for (const auto& m : summary.metrics) {
    if (m.name == marker::kMetricLatency && m.summary.n > 0) {
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
  table.phase_names = phase_order(document);
  for (std::size_t c = 0; c < summary.commands.size(); ++c) {
    const CommandSummary& command = summary.commands[c];
    const CommandRuns runs = command_runs(document, static_cast<int>(c));
    StudyRow row;
    row.config = command.name;
    row.measured_runs = command.measured_runs;
    row.succeeded_runs = command.succeeded_runs;
    fill_setup(row, document, runs.measured, command);
    fill_results(row, runs.ok, command);
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace coldbench::analysis
