#include "analysis/oversubscription.hpp"

#include <coldbench/marker.hpp>

#include <algorithm>
#include <cstdlib>

#include "stats/descriptive.hpp"

namespace coldbench::analysis {

std::optional<std::pair<std::string, double>> compute_threads_of(const RunRecord& run) {
  for (const char* key : {marker::kInfoTorchNumThreads, marker::kInfoComputeThreads}) {
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

}  // namespace coldbench::analysis
