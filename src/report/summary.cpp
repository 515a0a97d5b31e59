#include "report/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <unordered_map>

#include "stats/outliers.hpp"

namespace coldbench::report {
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

using RunValue = std::function<std::optional<double>(const RunRecord&)>;

SampleSummary sample_of(const std::vector<const RunRecord*>& runs, std::string name, std::string unit,
                        const RunValue& value, bool find_outliers) {
  std::vector<double> values;
  std::vector<int> indices;
  for (const auto* run : runs) {
    if (auto v = value(*run)) {
      values.push_back(*v);
      indices.push_back(run->index);
    }
  }
  return make_sample(std::move(name), std::move(unit), std::move(values), indices, find_outliers);
}

// The compute thread count a run's workload reported, and under which key.
std::optional<std::pair<std::string, double>> compute_threads_of(const RunRecord& run) {
  for (const char* key : {"torch.num_threads", "compute_threads"}) {
    auto it = run.info.find(key);
    if (it == run.info.end()) continue;
    if (it->second.is_number()) return std::pair{std::string(key), it->second.get<double>()};
    if (it->second.is_string()) {
      char* end = nullptr;
      const std::string text = it->second.get<std::string>();
      double value = std::strtod(text.c_str(), &end);
      if (end && *end == '\0' && !text.empty()) return std::pair{std::string(key), value};
    }
  }
  return std::nullopt;
}

std::optional<Oversubscription> find_oversubscription(const std::vector<const RunRecord*>& ok) {
  Oversubscription found;
  std::vector<double> periods, throttled, throttled_ms, switches;
  for (const auto* run : ok) {
    auto threads = compute_threads_of(*run);
    if (!threads || !run->limits || !run->limits->effective_cpus) continue;
    int effective = *run->limits->effective_cpus;
    if (threads->second <= effective) continue;
    found.source = threads->first;
    found.compute_threads = std::max(found.compute_threads, static_cast<int>(threads->second));
    found.effective_cpus = found.runs == 0 ? effective : std::min(found.effective_cpus, effective);
    ++found.runs;
    if (run->cgroup && run->cgroup->periods) periods.push_back(double(*run->cgroup->periods));
    if (run->cgroup && run->cgroup->throttled_periods) throttled.push_back(double(*run->cgroup->throttled_periods));
    if (run->cgroup && run->cgroup->throttled_ms) throttled_ms.push_back(*run->cgroup->throttled_ms);
    switches.push_back(double(run->usage.involuntary_switches));
  }
  if (found.runs == 0) return std::nullopt;
  if (!periods.empty()) found.periods = stats::median(periods);
  if (!throttled.empty()) found.throttled_periods = stats::median(throttled);
  if (!throttled_ms.empty()) found.throttled_ms = stats::median(throttled_ms);
  found.involuntary_switches = stats::median(switches);
  return found;
}

CommandSummary summarize_command(const ResultsDocument& document, int command_index) {
  const CommandSpec& spec = document.commands[command_index];
  CommandSummary summary;
  summary.name = spec.name;
  summary.command_text = spec.text;

  std::vector<const RunRecord*> ok;
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
    if (run.warmup) continue;
    ++summary.measured_runs;
    if (run.succeeded()) {
      ok.push_back(&run);
    } else {
      ++summary.failed_runs;
    }
  }
  summary.succeeded_runs = static_cast<int>(ok.size());
  summary.wall = sample_of(ok, "wall", "ms", [](const RunRecord& r) { return r.wall_ms; }, true);

  // Phases in the order they happen: by median end time.
  std::map<std::string, std::vector<double>> end_times;
  for (const auto* run : ok) {
    for (const auto& p : run->phases) end_times[p.name].push_back(p.end_ms);
  }
  std::vector<std::pair<double, std::string>> order;
  for (auto& [name, ends] : end_times) order.emplace_back(stats::median(ends), name);
  std::sort(order.begin(), order.end());
  for (const auto& entry : order) {
    // Not a structured binding: clang 14 cannot capture one in a lambda.
    const std::string& name = entry.second;
    summary.phases.push_back(sample_of(ok, name, "ms", [&name](const RunRecord& r) -> std::optional<double> {
      if (const auto* p = r.phase(name)) return p->duration_ms;
      return std::nullopt;
    }, true));
  }

  auto usage = [&](const char* name, const char* unit, auto field) {
    summary.process.push_back(sample_of(ok, name, unit, [field](const RunRecord& r) -> std::optional<double> {
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

  // Metrics: values pooled over the successful measured runs.
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
  for (const auto& name : metric_names) {
    // Pooled iterations share a process, so their order-statistic intervals
    // treat them as independent (docs/statistics.md); comparisons use per-run values.
    auto sample = make_sample(name, pooled[name].first, pooled[name].second, {}, false);
    sample.runs = static_cast<int>(metric_runs[name].size());
    summary.metrics.push_back(std::move(sample));
  }

  auto cgroup_stat = [&](const char* name, const char* unit, auto getter) {
    auto sample = sample_of(ok, name, unit, getter, false);
    if (sample.summary.n > 0) summary.cgroup.push_back(std::move(sample));
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

  if (!ok.empty()) summary.info = ok.back()->info;
  for (const auto& run : document.runs) {
    if (run.command_index != command_index || run.warmup) continue;
    summary.isolation = run.isolation;
    summary.limits = run.limits;
  }
  summary.oversubscription = find_oversubscription(ok);

  summary.machine = noise::assess_machine(ok);
  std::vector<const RunRecord*> in_order = ok;
  std::stable_sort(in_order.begin(), in_order.end(),
                   [](const RunRecord* a, const RunRecord* b) { return a->sequence < b->sequence; });
  std::vector<double> walls;
  for (const auto* run : in_order) walls.push_back(run->wall_ms);
  summary.wall_trend = noise::assess_trend(walls, "wall time", "ms");
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
  } else {
    stats::decide_verdicts(family, policy);
  }
  return session;
}

nlohmann::json to_json(const stats::Summary& s) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return nlohmann::json{{"n", s.n},           {"min", num(s.min)},       {"max", num(s.max)},
                        {"mean", num(s.mean)}, {"sd", num(s.sd)},         {"median", num(s.median)},
                        {"mad", num(s.mad)},   {"p5", num(s.p5)},         {"p25", num(s.p25)},
                        {"p75", num(s.p75)},   {"p95", num(s.p95)},       {"p99", num(s.p99)},
                        {"median_ci", to_json(s.median_ci)},
                        {"p95_ci", to_json(s.p95_ci)},
                        {"p99_ci", to_json(s.p99_ci)}};
}

nlohmann::json to_json(const stats::Interval& i) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"low", num(i.low)},
          {"high", num(i.high)},
          {"level", i.level},
          {"requested_level", i.requested_level},
          {"exact", i.exact},
          {"n_needed", i.n_needed > 0 ? nlohmann::json(i.n_needed) : nlohmann::json(nullptr)}};
}

nlohmann::json comparison_fields(const stats::Comparison& r) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"n_baseline", r.n_baseline},
          {"n_candidate", r.n_candidate},
          {"median_baseline", num(r.median_baseline)},
          {"median_candidate", num(r.median_candidate)},
          {"ratio", num(r.ratio)},
          {"ratio_ci", to_json(r.ratio_ci)},
          {"mann_whitney", {{"u", num(r.mann_whitney.statistic)}, {"p", num(r.mann_whitney.p_value)},
                            {"exact", r.mann_whitney.exact}}},
          {"welch", {{"t", num(r.welch.statistic)}, {"df", num(r.welch.df)}, {"p", num(r.welch.p_value)}}},
          {"cohens_d", num(r.cohens_d)},
          {"cliffs_delta", num(r.cliffs_delta)},
          {"p_adjusted", num(r.p_adjusted)},
          {"p_equivalence", num(r.p_equivalence)},
          {"p_equivalence_adjusted", num(r.p_equivalence_adjusted)},
          {"family", r.family},
          {"log_sd", num(r.log_sd)},
          {"mde_ratio", num(r.mde_ratio)},
          {"detectable", std::isfinite(r.mde_ratio)},  // false: none at this n, or no spread to judge
          {"runs_needed", r.runs_needed > 0 ? nlohmann::json(r.runs_needed) : nlohmann::json(nullptr)},
          {"verdict", std::string(stats::to_string(r.verdict))}};
}

namespace {

nlohmann::json sample_json(const SampleSummary& s) {
  nlohmann::json outliers = nlohmann::json::array();
  for (const auto& o : s.outliers) outliers.push_back({{"run", o.run_index}, {"value", o.value}, {"z", o.z}});
  return {{"name", s.name}, {"unit", s.unit}, {"runs", s.runs}, {"stats", to_json(s.summary)}, {"outliers", outliers}};
}

nlohmann::json samples_json(const std::vector<SampleSummary>& samples) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : samples) out.push_back(sample_json(s));
  return out;
}

nlohmann::json oversubscription_json(const Oversubscription& o) {
  auto optional = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"source", o.source},
          {"compute_threads", o.compute_threads},
          {"effective_cpus", o.effective_cpus},
          {"runs", o.runs},
          {"periods", optional(o.periods)},
          {"throttled_periods", optional(o.throttled_periods)},
          {"throttled_ms", optional(o.throttled_ms)},
          {"involuntary_switches", o.involuntary_switches}};
}

nlohmann::json warnings_json(const std::vector<WarningNote>& warnings) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& w : warnings) out.push_back({{"text", w.text}, {"runs", w.runs}});
  return out;
}

nlohmann::json machine_json(const noise::MachineEvidence& m) {
  auto optional = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"runs", m.runs},
          {"cpus", optional(m.cpus)},
          {"load_1m_start_median", optional(m.load_1m_start)},
          {"own_load", optional(m.own_load)},
          {"sampled_cpu_ms", optional(m.sampled_cpu_ms)},
          {"other_cpu_fraction", optional(m.other_cpu_fraction)},
          {"steal_fraction", optional(m.steal_fraction)},
          {"iowait_fraction", optional(m.iowait_fraction)},
          {"cpu_freq_mhz_median", optional(m.cpu_freq_mhz)},
          {"cpu_governor", m.cpu_governor.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.cpu_governor)},
          {"busy", m.busy}};
}

nlohmann::json trend_json(const noise::RunOrderTrend& t) {
  return {{"test", "mann-kendall"},
          {"runs", t.runs},
          {"block", t.block},
          {"s", t.test.s},
          {"tau", t.test.tau},
          {"p", t.test.p_value},
          {"exact", t.test.exact},
          {"sen_slope_per_run", t.slope_per_run},
          {"drifted", t.drifted}};
}

}  // namespace

nlohmann::json to_json(const SessionSummary& summary) {
  nlohmann::json commands = nlohmann::json::array();
  for (const auto& c : summary.commands) {
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& f : c.failures) failures.push_back({{"run", f.run_index}, {"warmup", f.warmup}, {"error", f.error}});
    commands.push_back({{"name", c.name},
                        {"measured_runs", c.measured_runs},
                        {"succeeded_runs", c.succeeded_runs},
                        {"failed_runs", c.failed_runs},
                        {"malformed_markers", c.malformed_markers},
                        {"warnings", warnings_json(c.warnings)},
                        {"wall", sample_json(c.wall)},
                        {"phases", samples_json(c.phases)},
                        {"process", samples_json(c.process)},
                        {"metrics", samples_json(c.metrics)},
                        {"cgroup", samples_json(c.cgroup)},
                        {"residency", c.residency ? sample_json(*c.residency) : nlohmann::json(nullptr)},
                        {"cache", c.residency ? nlohmann::json{{"mode", c.cache_mode},
                                                               {"tracked_files", c.tracked_files},
                                                               {"tracked_bytes", c.tracked_bytes}}
                                              : nlohmann::json(nullptr)},
                        {"oversubscription", c.oversubscription ? oversubscription_json(*c.oversubscription)
                                                                : nlohmann::json(nullptr)},
                        {"machine", c.machine ? machine_json(*c.machine) : nlohmann::json(nullptr)},
                        {"wall_trend", c.wall_trend ? trend_json(*c.wall_trend) : nlohmann::json(nullptr)},
                        {"noise_warnings", c.noise_warnings()},
                        {"failures", failures}});
  }
  nlohmann::json comparisons = nlohmann::json::array();
  for (const auto& cmp : summary.comparisons) {
    nlohmann::json quantities = nlohmann::json::array();
    for (const auto& q : cmp.quantities) {
      nlohmann::json entry = comparison_fields(q.comparison);
      entry["quantity"] = q.quantity;
      quantities.push_back(std::move(entry));
    }
    comparisons.push_back({{"baseline", cmp.baseline}, {"candidate", cmp.candidate}, {"quantities", quantities}});
  }
  const auto& p = summary.policy;
  nlohmann::json policy = {{"threshold", p.threshold},
                           {"alpha", p.alpha},
                           {"correction", std::string(stats::to_string(p.correction))},
                           {"level", p.level},
                           {"power", p.power}};
  return {{"commands", commands}, {"comparisons", comparisons}, {"policy", policy}};
}

}  // namespace coldbench::report
