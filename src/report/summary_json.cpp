#include "report/summary_json.hpp"

#include <cmath>

#include "core/json_text.hpp"
#include "report/findings_text.hpp"
#include "stats/comparison_json.hpp"

namespace coldbench::report {

nlohmann::json to_json(const stats::Summary& s) {
  return nlohmann::json{{"n", s.n},           {"min", finite_or_null(s.min)},       {"max", finite_or_null(s.max)},
                        {"mean", finite_or_null(s.mean)}, {"sd", finite_or_null(s.sd)},         {"median", finite_or_null(s.median)},
                        {"mad", finite_or_null(s.mad)},   {"p5", finite_or_null(s.p5)},         {"p25", finite_or_null(s.p25)},
                        {"p75", finite_or_null(s.p75)},   {"p95", finite_or_null(s.p95)},       {"p99", finite_or_null(s.p99)},
                        {"median_ci", to_json(s.median_ci)},
                        {"p95_ci", to_json(s.p95_ci)},
                        {"p99_ci", to_json(s.p99_ci)}};
}

nlohmann::json to_json(const stats::Interval& i) {
  return stats::interval_json(i);
}

nlohmann::json comparison_fields(const stats::Comparison& r) {
  return stats::comparison_json(r);
}

namespace {

nlohmann::json sample_json(const analysis::SampleSummary& s) {
  nlohmann::json outliers = nlohmann::json::array();
  for (const auto& o : s.outliers) outliers.push_back({{"run", o.run_index}, {"value", o.value}, {"z", o.z}});
  return {{"name", s.name}, {"unit", s.unit}, {"runs", s.runs}, {"stats", to_json(s.summary)}, {"outliers", outliers}};
}

nlohmann::json samples_json(const std::vector<analysis::SampleSummary>& samples) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : samples) out.push_back(sample_json(s));
  return out;
}

nlohmann::json oversubscription_json(const analysis::Oversubscription& o) {
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

nlohmann::json warnings_json(const std::vector<analysis::WarningNote>& warnings) {
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

nlohmann::json cold_reads_json(const analysis::ColdReadsSummary& r) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : r.files) {
    files.push_back({{"path", f.path}, {"size_bytes", f.size_bytes}, {"median_read_bytes", f.median_read_bytes}});
  }
  nlohmann::json floor = nullptr;
  if (r.floor) {
    floor = {{"bytes", r.floor->bytes},
             {"ms", r.floor->ms},
             {"method", r.floor->method},
             {"bytes_per_s", r.floor->bytes_per_s()}};
  }
  nlohmann::json left = nlohmann::json::array();
  for (const auto& f : r.left_resident) {
    nlohmann::json mappers = nlohmann::json::array();
    for (const auto& m : f.mappers) mappers.push_back({{"pid", m.pid}, {"command", m.command}});
    left.push_back({{"path", f.path},
                    {"size_bytes", f.size_bytes},
                    {"resident_bytes", f.resident_bytes},
                    {"mapped_by", mappers}});
  }
  return {{"read_bytes", sample_json(r.read_bytes)},
          {"files", files},
          {"sequential_floor", floor},
          {"prefetched_bytes", r.prefetched_bytes ? sample_json(*r.prefetched_bytes) : nlohmann::json(nullptr)},
          {"prefetch_completed_runs", r.prefetch_completed_runs},
          {"left_resident", left}};
}

}  // namespace

nlohmann::json to_json(const analysis::SessionSummary& summary) {
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
                        {"cold_reads", c.cold_reads ? cold_reads_json(*c.cold_reads) : nlohmann::json(nullptr)},
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
  return {{"findings", findings_json(summary.findings)},
          {"commands", commands},
          {"comparisons", comparisons},
          {"policy", policy}};
}

}  // namespace coldbench::report
