#include "analysis/summary.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "analysis/run_samples.hpp"
#include "stats/outliers.hpp"

namespace coldbench::analysis {

double fault_read_rate_fraction(double read_bytes, double read_ms, const std::optional<SequentialFloor>& floor) {
  if (!floor || !(floor->bytes_per_s() > 0) || !(read_bytes > 0) || !(read_ms > 0)) return std::nan("");
  return (read_bytes / (read_ms / 1000.0)) / floor->bytes_per_s();
}

namespace {

constexpr double kOutlierMinRelativeDeviation = 0.01;

SampleSummary make_sample(std::string name, std::string unit, std::vector<double> values,
                          const std::vector<int>& run_indices, bool find_outliers) {
  SampleSummary sample;
  sample.name = std::move(name);
  sample.unit = std::move(unit);
  sample.summary = stats::summarize(values);
  sample.runs = static_cast<int>(run_indices.size());
  if (find_outliers && values.size() >= 5) {
    // Timer-tight samples (sleeps, MAD of microseconds) would flag every
    // scheduling hiccup; a value must also be 1% away from the median.
    auto z = stats::modified_z_scores(values);
    double median = sample.summary.median;
    for (std::size_t i : stats::outlier_indices(values)) {
      if (std::fabs(values[i] - median) < kOutlierMinRelativeDeviation * std::fabs(median)) continue;
      sample.outliers.push_back(Outlier{run_indices[i], values[i], z[i]});
    }
  }
  sample.values = std::move(values);
  return sample;
}

SampleSummary summarize_values(RunValues values, bool find_outliers) {
  return make_sample(std::move(values.name), std::move(values.unit), std::move(values.values), values.run_indices,
                     find_outliers);
}

SampleSummary sample_of(const std::vector<const RunRecord*>& runs, std::string name, std::string unit,
                        const RunValue& value, bool find_outliers) {
  return summarize_values(values_of(runs, std::move(name), std::move(unit), value), find_outliers);
}

// Run counts, and what every run of the command said (warmups and failed runs too):
// malformed markers, warnings, failures.
void count_runs(const ResultsDocument& document, int command_index, const CommandRuns& runs,
                CommandSummary& summary) {
  std::unordered_map<std::string, std::size_t> warning_index;
  for (const auto& run : document.runs) {
    if (run.command_index != command_index) continue;
    summary.malformed_markers += run.malformed_markers;
    for (const auto& text : run.warnings) {
      auto [it, added] = warning_index.emplace(text, summary.warnings.size());
      if (added) summary.warnings.push_back(WarningNote{text, 0});
      ++summary.warnings[it->second].runs;
    }
    if (!run.succeeded()) summary.failures.push_back(FailureNote{run.index, run.warmup, run.error, run.output_tail});
  }
  summary.measured_runs = static_cast<int>(runs.measured.size());
  summary.succeeded_runs = static_cast<int>(runs.ok.size());
  summary.failed_runs = runs.failed();
}

std::vector<SampleSummary> process_samples(const std::vector<const RunRecord*>& ok) {
  std::vector<SampleSummary> out;
  auto usage = [&](const char* name, const char* unit, auto field) {
    out.push_back(sample_of(ok, name, unit, [field](const RunRecord& r) -> std::optional<double> {
      return static_cast<double>(r.usage.*field);
    }, false));
  };
  usage("user_cpu", "ms", &ResourceUsage::user_ms);
  usage("system_cpu", "ms", &ResourceUsage::system_ms);
  usage("max_rss", "KiB", &ResourceUsage::max_rss_kb);
  usage("minor_faults", "", &ResourceUsage::minor_faults);
  usage("major_faults", "", &ResourceUsage::major_faults);
  usage("voluntary_switches", "", &ResourceUsage::voluntary_switches);
  usage("involuntary_switches", "", &ResourceUsage::involuntary_switches);
  return out;
}

// Metrics: values pooled over the successful measured runs, in the order first seen.
std::vector<SampleSummary> metric_samples(const std::vector<const RunRecord*>& ok) {
  std::vector<std::string> metric_names;
  std::map<std::string, std::pair<std::string, std::vector<double>>> pooled;
  std::map<std::string, std::vector<int>> metric_runs;
  for (const auto* run : ok) {
    for (const auto& m : run->metrics) {
      if (!pooled.count(m.name)) metric_names.push_back(m.name);
      auto& entry = pooled[m.name];
      if (entry.first.empty()) entry.first = m.unit;
      entry.second.insert(entry.second.end(), m.values.begin(), m.values.end());
      metric_runs[m.name].push_back(run->index);
    }
  }
  std::vector<SampleSummary> out;
  for (const auto& name : metric_names) {
    // Pooled iterations share a process, so their order-statistic intervals
    // treat them as independent (docs/statistics.md); comparisons use per-run values.
    auto sample = make_sample(name, pooled[name].first, pooled[name].second, {}, false);
    sample.runs = static_cast<int>(metric_runs[name].size());
    out.push_back(std::move(sample));
  }
  return out;
}

// Throttling and memory peak, each only where some run recorded it.
std::vector<SampleSummary> cgroup_samples(const std::vector<const RunRecord*>& ok) {
  std::vector<SampleSummary> out;
  auto cgroup_stat = [&](const char* name, const char* unit, auto getter) {
    auto sample = sample_of(ok, name, unit, getter, false);
    if (sample.summary.n > 0) out.push_back(std::move(sample));
  };
  cgroup_stat("cpu_usage", "ms", [](const RunRecord& r) { return r.cgroup ? r.cgroup->cpu_usage_ms : std::nullopt; });
  cgroup_stat("throttled_periods", "", [](const RunRecord& r) -> std::optional<double> {
    if (r.cgroup && r.cgroup->throttled_periods) return double(*r.cgroup->throttled_periods);
    return std::nullopt;
  });
  cgroup_stat("throttled_time", "ms", [](const RunRecord& r) { return r.cgroup ? r.cgroup->throttled_ms : std::nullopt; });
  cgroup_stat("memory_peak", "bytes", [](const RunRecord& r) -> std::optional<double> {
    if (r.cgroup && r.cgroup->memory_peak_bytes) return double(*r.cgroup->memory_peak_bytes);
    return std::nullopt;
  });
  return out;
}

// Tracked bytes resident before each run, and the latest snapshot's cache mode and files.
void summarize_cache(const std::vector<const RunRecord*>& ok, CommandSummary& summary) {
  auto residency = sample_of(ok, "residency", "%", [](const RunRecord& r) -> std::optional<double> {
    if (r.residency && r.residency->total_bytes > 0) return 100.0 * r.residency->fraction();
    return std::nullopt;
  }, false);
  if (residency.summary.n > 0) summary.residency = std::move(residency);
  for (const auto* run : ok) {
    if (!run->residency) continue;
    summary.cache_mode = run->residency->cache_mode;
    summary.tracked_files = run->residency->tracked_files;
    summary.tracked_bytes = run->residency->total_bytes;
    summary.least_resident = run->residency->least_resident;
  }
}

void summarize_cold_reads(const std::vector<const RunRecord*>& ok, CommandSummary& summary) {
  std::vector<const RunRecord*> with_reads;
  for (const auto* run : ok) {
    if (run->cache_reads) with_reads.push_back(run);
  }
  if (with_reads.empty()) return;
  ColdReadsSummary reads;
  reads.read_bytes = sample_of(with_reads, "cache_read", "bytes", [](const RunRecord& r) -> std::optional<double> {
    return double(r.cache_reads->read_bytes);
  }, false);
  std::map<std::string, std::pair<int64_t, std::vector<double>>> by_file;
  for (const auto* run : with_reads) {
    for (const auto& f : run->cache_reads->top) by_file[f.path].first = f.size_bytes;
  }
  for (const auto* run : with_reads) {
    for (auto& [path, entry] : by_file) {
      double bytes = 0;
      for (const auto& f : run->cache_reads->top) {
        if (f.path == path) bytes = double(f.read_bytes());
      }
      entry.second.push_back(bytes);
    }
    if (run->cache_reads->floor && !reads.floor) reads.floor = run->cache_reads->floor;
    if (run->cache_reads->prefetch_completed.value_or(false)) ++reads.prefetch_completed_runs;
    reads.left_resident = run->cache_reads->left_resident;
  }
  for (auto& [path, entry] : by_file) {
    const double median = stats::summarize(entry.second).median;
    if (median > 0) reads.files.push_back(FileReadShare{path, entry.first, median});
  }
  std::stable_sort(reads.files.begin(), reads.files.end(), [](const FileReadShare& a, const FileReadShare& b) {
    return a.median_read_bytes > b.median_read_bytes;
  });
  auto prefetched = sample_of(with_reads, "prefetched", "bytes", [](const RunRecord& r) -> std::optional<double> {
    if (r.cache_reads->prefetched_bytes) return double(*r.cache_reads->prefetched_bytes);
    return std::nullopt;
  }, false);
  if (prefetched.summary.n > 0) reads.prefetched_bytes = std::move(prefetched);
  summary.cold_reads = std::move(reads);
}

// The machine around the runs, and the wall times' trend in run order.
void assess_noise(const std::vector<const RunRecord*>& ok, CommandSummary& summary) {
  summary.machine = noise::assess_machine(ok);
  std::vector<const RunRecord*> in_order = ok;
  std::stable_sort(in_order.begin(), in_order.end(),
                   [](const RunRecord* a, const RunRecord* b) { return a->sequence < b->sequence; });
  std::vector<double> walls;
  for (const auto* run : in_order) walls.push_back(run->wall_ms);
  summary.wall_trend = noise::assess_trend(walls, "wall time", "ms");
}

CommandSummary summarize_command(const ResultsDocument& document, int command_index) {
  const CommandSpec& spec = document.commands[command_index];
  CommandSummary summary;
  summary.name = spec.name;
  summary.command_text = spec.text;
  const CommandRuns runs = command_runs(document, command_index);
  const auto& ok = runs.ok;
  count_runs(document, command_index, runs, summary);

  summary.wall = summarize_values(wall_values(ok), true);
  for (auto& phase : phase_values(ok)) summary.phases.push_back(summarize_values(std::move(phase), true));
  summary.process = process_samples(ok);
  summary.metrics = metric_samples(ok);
  summary.cgroup = cgroup_samples(ok);
  summarize_cache(ok, summary);
  summarize_cold_reads(ok, summary);

  if (!ok.empty()) summary.info = ok.back()->info;
  if (!runs.measured.empty()) {
    summary.isolation = runs.measured.back()->isolation;
    summary.limits = runs.measured.back()->limits;
  }
  summary.oversubscription = find_oversubscription(ok);
  assess_noise(ok, summary);
  return summary;
}

}  // namespace

std::vector<std::string> CommandSummary::noise_warnings() const {
  std::vector<std::string> out;
  if (machine && machine->busy) out.push_back(machine->warning);
  if (wall_trend && wall_trend->drifted) out.push_back(wall_trend->warning);
  return out;
}

std::vector<std::pair<std::size_t, std::size_t>> comparison_pairs(const ResultsDocument& document) {
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  auto index = [&](const nlohmann::json& name) -> std::optional<std::size_t> {
    if (!name.is_string()) return std::nullopt;
    for (std::size_t k = 0; k < document.commands.size(); ++k) {
      if (document.commands[k].name == name.get<std::string>()) return k;
    }
    return std::nullopt;
  };
  if (auto contrasts = document.options.find("contrasts");
      contrasts != document.options.end() && contrasts->is_array() && !contrasts->empty()) {
    for (const auto& c : *contrasts) {
      if (!c.is_object()) continue;
      auto b = index(c.value("baseline", nlohmann::json())), k = index(c.value("candidate", nlohmann::json()));
      if (b && k && *b != *k) pairs.emplace_back(*b, *k);
    }
    return pairs;
  }
  for (std::size_t k = 1; k < document.commands.size(); ++k) pairs.emplace_back(0, k);
  return pairs;
}

stats::ComparisonPolicy decision_policy(const ResultsDocument& document, stats::ComparisonPolicy policy) {
  if (!document.adaptive.is_object()) return policy;
  auto sequential = document.adaptive.find("sequential");
  if (sequential == document.adaptive.end() || !sequential->is_object()) return policy;
  auto alpha = sequential->find("decision_alpha");
  if (alpha != sequential->end() && alpha->is_number()) {
    const double value = alpha->get<double>();
    if (value > 0 && value < policy.alpha) policy.alpha = value;
  }
  return policy;
}

bool wall_comparisons_conclusive(const SessionSummary& summary) {
  for (const auto& comparison : summary.comparisons) {
    auto wall = std::find_if(comparison.quantities.begin(), comparison.quantities.end(),
                             [](const QuantityComparison& q) { return q.quantity == "wall"; });
    if (wall == comparison.quantities.end() || !stats::conclusive(wall->comparison.verdict)) return false;
  }
  return !summary.comparisons.empty();
}

SessionSummary summarize_session(const ResultsDocument& document, const stats::ComparisonPolicy& policy) {
  return summarize_session_at(document, decision_policy(document, policy));
}

SessionSummary summarize_session_at(const ResultsDocument& document, const stats::ComparisonPolicy& policy,
                                    bool power) {
  SessionSummary session;
  session.policy = policy;
  for (int c = 0; c < static_cast<int>(document.commands.size()); ++c) {
    session.commands.push_back(summarize_command(document, c));
  }
  for (const auto& [b, c] : comparison_pairs(document)) {
    const CommandSummary& base = session.commands[b];
    const CommandSummary& candidate = session.commands[c];
    CommandComparison comparison{base.name, candidate.name, {}};
    if (base.wall.values.size() >= 2 && candidate.wall.values.size() >= 2) {
      comparison.quantities.push_back({"wall", stats::measure_comparison(base.wall.values, candidate.wall.values, policy)});
    }
    for (const auto& phase : candidate.phases) {
      auto it = std::find_if(base.phases.begin(), base.phases.end(), [&](const auto& p) { return p.name == phase.name; });
      if (it == base.phases.end() || it->values.size() < 2 || phase.values.size() < 2) continue;
      comparison.quantities.push_back({phase.name, stats::measure_comparison(it->values, phase.values, policy)});
    }
    session.comparisons.push_back(std::move(comparison));
  }
  // One family for the whole session, as the gate does (stats/policy.hpp).
  std::vector<stats::Comparison*> family;
  for (auto& cmp : session.comparisons) {
    for (auto& q : cmp.quantities) family.push_back(&q.comparison);
  }
  if (power) {
    stats::decide_family(family, policy);
    session.findings = find_findings(document, session);
  } else {
    stats::decide_verdicts(family, policy);
  }
  return session;
}

}  // namespace coldbench::analysis
