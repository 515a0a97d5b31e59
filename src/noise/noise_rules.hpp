#pragma once
// When the machine around a command's runs was busy, and when its wall times
// drifted with run order: the evidence, and a warning in words. Every
// threshold is in NoiseThresholds, documented in docs/machine-noise.md.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "stats/trend.hpp"

namespace coldbench::noise {

struct NoiseThresholds {
  // Other processes' CPU time, as a fraction of the machine's CPU time during the runs.
  double other_cpu_fraction = 0.10;
  // CPU time a hypervisor gave to other guests, same denominator.
  double steal_fraction = 0.05;
  // Load average at run start beyond the workload's own average parallelism, per CPU.
  double excess_load_per_cpu = 0.5;
  // /proc/stat counts in ticks of 10 ms: the CPU-fraction rules speak only
  // once this much machine CPU time (interval x CPUs, summed over runs) was sampled.
  double min_sampled_cpu_ms = 1000;
  // Run-order trend: Mann-Kendall on the wall times, at this alpha, from this
  // many runs, when the fitted drift over the runs is at least this fraction of the median.
  int trend_min_runs = 8;
  double trend_alpha = 0.01;
  double trend_min_relative_drift = 0.01;
  // More runs than this are tested as medians of consecutive blocks (the test is O(n^2)).
  int trend_max_points = 2000;
};

inline constexpr NoiseThresholds kNoiseThresholds{};

// A command's machine noise over its runs (successful measured runs).
struct MachineEvidence {
  int runs = 0;  // runs that carried a machine record
  std::optional<int> cpus;
  std::optional<double> load_1m_start;  // median over runs
  std::optional<double> own_load;  // workload CPU / interval, pooled: its own share of the load
  std::optional<double> sampled_cpu_ms;      // interval x cpus, summed over runs
  std::optional<double> other_cpu_fraction;  // pooled over runs
  std::optional<double> steal_fraction;      // pooled
  std::optional<double> iowait_fraction;     // pooled
  std::optional<double> cpu_freq_mhz;        // median over runs
  std::string cpu_governor;                  // of the latest run that had one
  bool busy = false;
  std::string warning;  // "machine busy: ..." when busy
};

// nullopt when no run carried a machine record (older results files).
std::optional<MachineEvidence> assess_machine(const std::vector<const RunRecord*>& runs,
                                              const NoiseThresholds& thresholds = kNoiseThresholds);

struct RunOrderTrend {
  stats::TrendTest test;  // on the values (or block medians) in run order
  int runs = 0;
  int block = 1;  // runs per tested point
  double slope_per_run = 0;
  double median = 0;
  bool drifted = false;
  std::string warning;  // "wall time rises with run order (...)" when drifted
};

// `values`: one per run, in run order. nullopt below thresholds.trend_min_runs.
std::optional<RunOrderTrend> assess_trend(std::span<const double> values,
                                          const std::string& quantity, const std::string& unit,
                                          const NoiseThresholds& thresholds = kNoiseThresholds);

}  // namespace coldbench::noise
