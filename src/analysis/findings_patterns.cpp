// Rules over one config's runs: the latency trend across iterations (warmup),
// drift and two modes across runs, a busy machine, quota throttling, memory
// near its limit (findings_rules.hpp).

#include <coldbench/marker.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "analysis/findings_rules.hpp"
#include "analysis/run_samples.hpp"
#include "core/units.hpp"
#include "stats/trend.hpp"

namespace coldbench::analysis::findings_detail {
namespace {

double median_of(std::span<const double> values) { return values.empty() ? stats::kNaN : stats::median(values); }

// Median of the first third of `values` over the median of the last third.
double first_over_last_third(std::span<const double> values) {
  const std::size_t third = values.size() / 3;
  if (third == 0) return stats::kNaN;
  const double last = median_of(values.subspan(values.size() - third));
  return last > 0 ? median_of(values.first(third)) / last : stats::kNaN;
}

}  // namespace

// (d) A trend across the iterations of the latency metric within runs. Each
// run's values are divided by its own median (runs differ in level), the
// profile is the median over runs at each iteration, and Mann-Kendall tests
// the profile for a monotonic trend.
void add_iteration_trends(std::vector<Finding>& out, const ResultsDocument& document, const SessionSummary& summary,
                          const FindingThresholds& thresholds) {
  for (std::size_t i = 0; i < summary.commands.size(); ++i) {
    std::vector<std::vector<double>> runs;
    std::vector<double> per_run_ratio, last_third_ms;
    std::size_t length = 0;
    for (const RunRecord* run : command_runs(document, int(i)).ok) {
      const MetricRecord* m = run->metric(marker::kMetricLatency);
      if (!m || m->values.size() < std::size_t(thresholds.trend_min_iterations)) continue;
      const double center = stats::median(m->values);
      if (!(center > 0)) continue;
      std::vector<double> normalized;
      for (double v : m->values) normalized.push_back(v / center);
      per_run_ratio.push_back(first_over_last_third(m->values));
      last_third_ms.push_back(median_of(std::span(m->values).subspan(m->values.size() - m->values.size() / 3)));
      length = runs.empty() ? normalized.size() : std::min(length, normalized.size());
      runs.push_back(std::move(normalized));
    }
    if (runs.empty()) continue;
    std::vector<double> profile;
    for (std::size_t k = 0; k < length; ++k) {
      std::vector<double> at;
      for (const auto& r : runs) at.push_back(r[k]);
      profile.push_back(stats::median(at));
    }
    const stats::TrendTest test = stats::mann_kendall(profile);
    const double ratio = first_over_last_third(profile);
    const bool falling = test.tau < 0 && ratio >= thresholds.trend_min_ratio;
    const bool rising = test.tau > 0 && ratio <= 1 / thresholds.trend_min_ratio;
    if (!falling && !rising) continue;
    // The profile's iterations are not independent (a slow stretch spans
    // many of them), so Mann-Kendall alone can call a trend that the runs do
    // not repeat: shown also needs the runs' own first/last-third ratios to
    // agree, their median's interval off 1 on the trend's side. (Seen: "rises"
    // with p 0.002 while five runs' ratios gave [0.74x, 1.21x].)
    const stats::Interval across_runs = stats::summarize(per_run_ratio).median_ci;
    const bool runs_agree = !across_runs.valid() || (falling ? across_runs.low > 1 : across_runs.high < 1);
    const bool significant = test.p_value < thresholds.trend_alpha && runs_agree;
    if (rising && !significant) continue;  // only an unsettled warmup is worth a line
    const std::string& name = summary.commands[i].name;
    Finding f;
    f.id = falling ? "warmup_not_converged" : "latency_rises_in_run";
    f.subject = name + "/" + marker::kMetricLatency;
    f.verdict = significant ? FindingVerdict::Shown : FindingVerdict::Inconclusive;
    f.effect_name = "first third / last third of the iterations (median)";
    f.effect = ratio;
    f.effect_ci = across_runs;  // over runs: each run's own ratio
    f.baseline = "last third of the iterations";
    f.candidate = "first third";
    f.n_baseline = f.n_candidate = runs.size();
    f.test = "Mann-Kendall on the per-iteration median profile";
    f.p_value = test.p_value;
    f.evidence = {{"runs", double(runs.size()), ""},
                  {"iterations per run", double(length), ""},
                  {"Kendall tau", test.tau, ""},
                  {"last third median", median_of(last_third_ms), "ms"}};
    f.strength = std::isfinite(ratio) && ratio > 0 ? std::fabs(std::log(ratio)) : 0;
    const std::string numbers =
        fmt::format("the first third of its {} iterations runs {} the last third {} over {} run{} (Mann-Kendall tau "
                    "{:.2f}, p {:.2g})",
                    length, ratio_text(ratio), interval_text(f.effect_ci), runs.size(), runs.size() == 1 ? "" : "s",
                    test.tau, test.p_value);
    if (rising) {
      f.sentence = fmt::format("Latency of '{}' rises across the iterations of a run: {}.", name, numbers);
    } else if (significant) {
      f.sentence = fmt::format("Warmup of '{}' has not converged: latency still falls across iterations; {}.", name,
                               numbers);
      f.recommendation = fmt::format("more warmup iterations: steady latency is nearer the last third's {}",
                                     format_ms(median_of(last_third_ms)));
    } else if (!runs_agree) {
      f.sentence = fmt::format(
          "Latency of '{}' may still fall across iterations, but the runs do not repeat it (each run's first/last "
          "third ratio: {}): {}; more runs would settle it.",
          name, interval_text(across_runs), numbers);
    } else {
      f.sentence = fmt::format(
          "Latency of '{}' may still fall across iterations, but the trend is not resolved at p < {:g}: {}; more "
          "iterations per run would settle it.",
          name, thresholds.trend_alpha, numbers);
    }
    out.push_back(std::move(f));
  }
}

// (e) Runs that are not exchangeable: wall time drifting with run order (the
// summary's Mann-Kendall, docs/machine-noise.md), or falling into two modes
// (the largest gap between sorted wall times, against the spread inside each side).
void add_run_patterns(std::vector<Finding>& out, const SessionSummary& summary, const FindingThresholds& thresholds) {
  for (const CommandSummary& command : summary.commands) {
    if (command.wall_trend && command.wall_trend->drifted) {
      const noise::RunOrderTrend& t = *command.wall_trend;
      const double change = t.median != 0 ? t.slope_per_run * (t.runs - 1) / t.median : 0.0;
      Finding f;
      f.id = "drift";
      f.subject = command.name + "/wall";
      f.verdict = FindingVerdict::Shown;
      f.effect_name = "fitted change from the first to the last run, fraction of the median";
      f.effect = change;
      f.candidate = command.name;
      f.n_candidate = std::size_t(t.runs);
      f.test = "Mann-Kendall on wall time in run order";
      f.p_value = t.test.p_value;
      f.evidence = {{"Sen's slope per run", t.slope_per_run, "ms"},
                    {"Kendall tau", t.test.tau, ""},
                    {"runs", double(t.runs), ""},
                    {"median", t.median, "ms"}};
      f.strength = std::fabs(std::log1p(std::max(change, -0.99)));
      f.sentence = fmt::format(
          "Wall time of '{}' {} with run order: {:+.0f}% from the first to the last of {} runs ({:+.3g} ms per run; "
          "Mann-Kendall tau {:.2f}, p {:.2g}); its median describes no single moment.",
          command.name, t.slope_per_run > 0 ? "rises" : "falls", 100 * change, t.runs, t.slope_per_run, t.test.tau,
          t.test.p_value);
      out.push_back(std::move(f));
    }
    std::vector<double> walls = command.wall.values;
    if (int(walls.size()) < thresholds.bimodal_min_runs) continue;
    std::sort(walls.begin(), walls.end());
    std::size_t split = 0;  // the lower mode is walls[0..split]
    for (std::size_t k = 0; k + 1 < walls.size(); ++k) {
      if (walls[k + 1] - walls[k] > walls[split + 1] - walls[split]) split = k;
    }
    const std::span<const double> lower(walls.data(), split + 1), upper(walls.data() + split + 1, walls.size() - split - 1);
    const double gap = upper.front() - lower.back(), center = stats::median(walls);
    const double smaller = double(std::min(lower.size(), upper.size())) / double(walls.size());
    const double spread = std::max(stats::mad(lower), stats::mad(upper));
    if (smaller < thresholds.bimodal_min_share || gap < thresholds.bimodal_min_gap * center ||
        gap < thresholds.bimodal_gap_mads * spread)
      continue;
    Finding f;
    f.id = "bimodal";
    f.subject = command.name + "/wall";
    f.verdict = FindingVerdict::Shown;
    f.effect_name = "ratio of the modes' medians (slow / fast)";
    f.effect = stats::median(upper) / stats::median(lower);
    f.baseline = "fast mode";
    f.candidate = "slow mode";
    f.n_baseline = lower.size();
    f.n_candidate = upper.size();
    f.test = fmt::format("rule: largest gap between sorted wall times >= {:g} x the larger within-mode MAD and >= "
                         "{:.0f}% of the median, smaller mode >= {:.0f}% of runs",
                         thresholds.bimodal_gap_mads, 100 * thresholds.bimodal_min_gap,
                         100 * thresholds.bimodal_min_share);
    f.evidence = {{"fast mode median", stats::median(lower), "ms"}, {"slow mode median", stats::median(upper), "ms"},
                  {"gap", gap, "ms"}, {"largest within-mode MAD", spread, "ms"}};
    f.strength = std::fabs(std::log(f.effect));
    f.sentence = fmt::format(
        "Wall time of '{}' has two modes: {} runs around {} and {} around {} ({} apart, gap {}); the median {} "
        "describes neither.",
        command.name, lower.size(), format_ms(stats::median(lower)), upper.size(), format_ms(stats::median(upper)),
        ratio_text(f.effect), format_ms(gap), format_ms(center));
    out.push_back(std::move(f));
  }
}

namespace {

// One busy machine finding for several configs: the machine is shared by the
// whole session, and one line per config would crowd out every other finding.
Finding merged_busy_machine(const std::vector<std::pair<Finding, noise::MachineEvidence>>& busy) {
  Finding f = busy.front().first;
  std::string names;
  std::vector<double> loads, others;
  f.evidence.clear();
  f.n_candidate = 0;
  for (const auto& [one, m] : busy) {
    names += (names.empty() ? "'" : ", '") + one.subject + "'";
    f.n_candidate += one.n_candidate;
    if (m.load_1m_start) loads.push_back(*m.load_1m_start);
    if (m.other_cpu_fraction) others.push_back(*m.other_cpu_fraction);
    for (const auto& e : one.evidence) f.evidence.push_back({e.name + " (" + one.subject + ")", e.value, e.unit});
  }
  f.subject = f.candidate = names;
  auto range = [](std::vector<double> v, double scale, const char* unit) {
    std::sort(v.begin(), v.end());
    return v.front() == v.back() ? fmt::format("{:.3g}{}", scale * v.front(), unit)
                                 : fmt::format("{:.3g}{} to {:.3g}{}", scale * v.front(), unit, scale * v.back(), unit);
  };
  std::string what;
  if (!loads.empty()) what = "load average at run start " + range(loads, 1, "");
  if (!others.empty()) what += (what.empty() ? "" : ", ") + ("other processes' CPU " + range(others, 100, "%"));
  f.effect = others.empty() ? stats::kNaN : stats::median(others);
  f.strength = std::isfinite(f.effect) ? f.effect : 0;
  f.sentence = fmt::format(
      "The machine was busy around the runs of {} configs ({}){}: times may be longer and noisier than on an idle "
      "machine (docs/machine-noise.md).",
      busy.size(), names, what.empty() ? "" : "; " + what);
  return f;
}

}  // namespace

// (f, g) The machine around the runs and the limits they ran into.
void add_machine_findings(std::vector<Finding>& out, const SessionSummary& summary, const StudyTable& table,
                          const FindingThresholds& thresholds) {
  std::vector<std::pair<Finding, noise::MachineEvidence>> busy;
  for (std::size_t i = 0; i < summary.commands.size() && i < table.rows.size(); ++i) {
    const CommandSummary& command = summary.commands[i];
    const StudyRow& row = table.rows[i];
    if (command.machine && command.machine->busy) {
      const noise::MachineEvidence& m = *command.machine;
      Finding f;
      f.id = "busy_machine";
      f.subject = command.name;
      f.verdict = FindingVerdict::Shown;
      f.effect_name = "other processes' share of the machine's CPU time";
      f.effect = m.other_cpu_fraction.value_or(stats::kNaN);
      f.candidate = command.name;
      f.n_candidate = std::size_t(m.runs);
      f.test = "rule: docs/machine-noise.md thresholds";
      if (m.other_cpu_fraction) f.evidence.push_back({"other processes' CPU", 100 * *m.other_cpu_fraction, "%"});
      if (m.steal_fraction) f.evidence.push_back({"steal", 100 * *m.steal_fraction, "%"});
      if (m.load_1m_start) f.evidence.push_back({"load (1 min) at start", *m.load_1m_start, ""});
      if (m.own_load) f.evidence.push_back({"the workload's own load", *m.own_load, ""});
      f.strength = std::isfinite(f.effect) ? f.effect : 0;
      // The warning's own words, without its "machine busy: " head.
      const std::string why = m.warning.substr(m.warning.find(':') == std::string::npos ? 0 : m.warning.find(':') + 2);
      f.sentence = fmt::format("The machine was busy around the runs of '{}': {}.", command.name, why);
      f.recommendation = "rerun on a quiet machine, or compare only configs measured interleaved in one session";
      busy.push_back({std::move(f), m});
    }
    if (row.throttled_fraction && *row.throttled_fraction >= thresholds.throttled_min_fraction && !row.oversubscribed()) {
      Finding f;
      f.id = "quota_throttling";
      f.subject = command.name;
      f.verdict = FindingVerdict::Shown;
      f.effect_name = "throttled CFS periods / all periods (median per run)";
      f.effect = *row.throttled_fraction;
      f.candidate = command.name;
      f.n_candidate = std::size_t(command.succeeded_runs);
      f.test = "rule: cgroup cpu.stat";
      f.evidence = {{"throttled periods", 100 * *row.throttled_fraction, "%"}};
      std::string cost;
      if (row.throttled_ms) {
        f.evidence.push_back({"throttled time per run", *row.throttled_ms, "ms"});
        cost = fmt::format(": {} per run", format_ms(*row.throttled_ms));
        if (row.wall.median > 0)
          cost += fmt::format(", {:.0f}% of its median wall time", 100 * *row.throttled_ms / row.wall.median);
      }
      f.strength = f.effect;
      f.sentence = fmt::format("'{}' was throttled by its CPU quota{} in {:.0f}% of CFS periods{}.", command.name,
                               row.cpus ? fmt::format(" ({:g} CPUs)", *row.cpus) : "", 100 * *row.throttled_fraction,
                               cost);
      out.push_back(std::move(f));
    }
    if (row.memory_peak_bytes && row.memory_bytes && *row.memory_bytes > 0) {
      const double fraction = *row.memory_peak_bytes / double(*row.memory_bytes);
      if (fraction < thresholds.memory_near_limit) continue;
      Finding f;
      f.id = "memory_near_limit";
      f.subject = command.name;
      f.verdict = FindingVerdict::Shown;
      f.effect_name = "cgroup memory peak / memory limit (median per run)";
      f.effect = fraction;
      f.candidate = command.name;
      f.n_candidate = std::size_t(command.succeeded_runs);
      f.test = fmt::format("rule: peak >= {:.0f}% of the limit", 100 * thresholds.memory_near_limit);
      f.evidence = {{"memory peak", *row.memory_peak_bytes, "bytes"},
                    {"memory limit", double(*row.memory_bytes), "bytes"}};
      f.strength = fraction;
      f.sentence = fmt::format(
          "'{}' peaked at {} of its {} memory limit ({:.0f}%): reclaim and the OOM killer are near.", command.name,
          format_bytes(*row.memory_peak_bytes), format_bytes(double(*row.memory_bytes)), 100 * fraction);
      f.recommendation = fmt::format("a limit above {} leaves headroom", format_bytes(*row.memory_peak_bytes * 1.25));
      out.push_back(std::move(f));
    }
  }
  if (busy.size() == 1) out.push_back(std::move(busy.front().first));
  if (busy.size() > 1) out.push_back(merged_busy_machine(busy));
}

}  // namespace coldbench::analysis::findings_detail
