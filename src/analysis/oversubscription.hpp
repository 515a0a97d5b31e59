#pragma once
// More compute threads than CPUs: a workload that reports its thread count
// (info marker::kInfoTorchNumThreads or marker::kInfoComputeThreads) above the
// effective CPUs its runs had, with throttling and involuntary switches as
// the evidence.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/record.hpp"

namespace coldbench::analysis {

struct Oversubscription {
  std::string source;       // the info key the thread count came from
  int compute_threads = 0;  // the largest count reported
  int effective_cpus = 0;   // the smallest effective CPUs among those runs
  int runs = 0;             // successful measured runs that were oversubscribed
  // Medians over those runs: cgroup throttling (when the runs had a cgroup) and involuntary switches.
  std::optional<double> periods;
  std::optional<double> throttled_periods;
  std::optional<double> throttled_ms;
  double involuntary_switches = 0;
};

// The compute thread count a run's workload reported (a number, or a string
// holding one), and under which info key.
std::optional<std::pair<std::string, double>> compute_threads_of(const RunRecord& run);

// Over the successful measured runs `ok` of one command: the runs whose
// limits give effective CPUs and whose threads exceed them; nullopt if none.
std::optional<Oversubscription> find_oversubscription(const std::vector<const RunRecord*>& ok);

}  // namespace coldbench::analysis
