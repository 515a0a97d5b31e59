#include "noise/noise_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "noise/machine_sampler.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::noise {
namespace {

std::string percent(double fraction) {
  const double p = 100.0 * fraction;
  return p < 10 ? fmt::format("{:.1f}%", p) : fmt::format("{:.0f}%", p);
}

std::string busy_warning(const MachineEvidence& e) {
  std::vector<std::string> evidence;
  if (e.load_1m_start && e.cpus) {
    std::string load = fmt::format(
        "load average {:.2f} on {} CPU{} at run start (median over {} run{}", *e.load_1m_start,
        *e.cpus, *e.cpus == 1 ? "" : "s", e.runs, e.runs == 1 ? "" : "s");
    if (e.own_load)
      load += fmt::format("; the workload itself accounts for about {:.2f}", *e.own_load);
    evidence.push_back(load + ")");
  }
  if (e.other_cpu_fraction) {
    evidence.push_back(fmt::format("other processes used {} of the CPUs during the runs",
                                   percent(*e.other_cpu_fraction)));
  }
  if (e.steal_fraction && *e.steal_fraction >= 0.01)
    evidence.push_back("steal " + percent(*e.steal_fraction));
  if (e.iowait_fraction && *e.iowait_fraction >= 0.01)
    evidence.push_back("iowait " + percent(*e.iowait_fraction));
  std::string text = "machine busy:";
  for (std::size_t i = 0; i < evidence.size(); ++i) text += (i ? "; " : " ") + evidence[i];
  return text + ". Times may be longer and noisier than on an idle machine (docs/machine-noise.md)";
}

}  // namespace

std::optional<MachineEvidence> assess_machine(const std::vector<const RunRecord*>& runs,
                                              const NoiseThresholds& thresholds) {
  MachineEvidence e;
  std::vector<double> loads, freqs;
  double interval_ms = 0, capacity_ms = 0, other_ms = 0, steal_ms = 0, iowait_ms = 0,
         workload_ms = 0;
  for (const RunRecord* run : runs) {
    if (!run->machine) continue;
    const MachineNoise& m = *run->machine;
    ++e.runs;
    if (m.load_1m_start) loads.push_back(*m.load_1m_start);
    if (m.cpu_freq_mhz) freqs.push_back(*m.cpu_freq_mhz);
    if (!m.cpu_governor.empty()) e.cpu_governor = m.cpu_governor;
    if (m.cpus && m.interval_ms && m.other_cpu_ms) {
      e.cpus = *m.cpus;
      const double capacity = *m.interval_ms * *m.cpus;
      interval_ms += *m.interval_ms;
      capacity_ms += capacity;
      other_ms += *m.other_cpu_ms;
      steal_ms += m.steal_fraction.value_or(0) * capacity;
      iowait_ms += m.iowait_fraction.value_or(0) * capacity;
      workload_ms += workload_cpu_ms(*run);
    }
  }
  if (e.runs == 0) return std::nullopt;
  if (!loads.empty()) e.load_1m_start = stats::median(loads);
  if (!freqs.empty()) e.cpu_freq_mhz = stats::median(freqs);
  if (capacity_ms > 0) {
    e.sampled_cpu_ms = capacity_ms;
    e.own_load = workload_ms / interval_ms;
    if (capacity_ms >= thresholds.min_sampled_cpu_ms) {
      // Tick rounding can put a run's busy time a little above its capacity.
      e.other_cpu_fraction = std::min(1.0, other_ms / capacity_ms);
      e.steal_fraction = steal_ms / capacity_ms;
      e.iowait_fraction = iowait_ms / capacity_ms;
    }
  }

  const bool loaded =
      e.load_1m_start && e.cpus &&
      *e.load_1m_start - e.own_load.value_or(0) >= thresholds.excess_load_per_cpu * *e.cpus;
  const bool others =
      e.other_cpu_fraction && *e.other_cpu_fraction >= thresholds.other_cpu_fraction;
  const bool stolen = e.steal_fraction && *e.steal_fraction >= thresholds.steal_fraction;
  e.busy = loaded || others || stolen;
  if (e.busy) e.warning = busy_warning(e);
  return e;
}

std::optional<RunOrderTrend> assess_trend(std::span<const double> values,
                                          const std::string& quantity, const std::string& unit,
                                          const NoiseThresholds& thresholds) {
  const int n = static_cast<int>(values.size());
  if (n < thresholds.trend_min_runs || n < 3) return std::nullopt;
  RunOrderTrend t;
  t.runs = n;
  t.median = stats::median(values);
  // Medians of consecutive blocks: i.i.d. runs give i.i.d. block medians, so
  // the test keeps its level, and a monotonic drift stays monotonic.
  std::vector<double> points;
  const int max_points = std::max(thresholds.trend_max_points, 3);
  t.block = (n + max_points - 1) / max_points;
  for (int start = 0; start + t.block <= n; start += t.block) {
    points.push_back(stats::median(
        values.subspan(static_cast<std::size_t>(start), static_cast<std::size_t>(t.block))));
  }
  t.test = stats::mann_kendall(points);
  t.slope_per_run = t.test.sen_slope / t.block;
  const double drift = std::fabs(t.slope_per_run) * (n - 1);
  t.drifted = t.test.p_value < thresholds.trend_alpha && t.slope_per_run != 0 &&
              drift >= thresholds.trend_min_relative_drift * std::fabs(t.median);
  if (t.drifted) {
    t.warning = fmt::format(
        "{} {} with run order (Mann-Kendall p = {:.2g}, Sen's slope {:+.3g} {}/run over {} runs, "
        "{:+.1f}% of the "
        "median from first to last): the machine or the workload drifted, so the median describes "
        "no single moment",
        quantity, t.slope_per_run > 0 ? "rises" : "falls", t.test.p_value, t.slope_per_run, unit, n,
        t.median != 0 ? 100.0 * t.slope_per_run * (n - 1) / t.median : 0.0);
  }
  return t;
}

}  // namespace coldbench::noise
