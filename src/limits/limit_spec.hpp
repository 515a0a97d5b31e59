#pragma once
// What the user asked for: CPU and memory limits, affinity and thread counts.
// The limits backend (cgroups + affinity) and the container isolation modes
// (docker/podman flags) both take this one description.

#include <cstdint>
#include <optional>
#include <string>

#include "core/expected.hpp"

namespace coldbench::limits {

struct ThreadSetting {
  bool automatic = false;  // --threads auto: effective CPUs (quota floored)
  int count = 0;           // --threads N
};

struct LimitSpec {
  std::optional<double> cpus;            // --cpus F: CFS quota of F CPUs
  std::optional<std::string> cpuset;     // --cpuset LIST, e.g. "0" or "0-1,3"
  std::optional<int64_t> memory_bytes;   // --memory SIZE
  std::optional<std::string> affinity;   // --affinity LIST
  std::optional<ThreadSetting> threads;  // --threads auto|N

  bool needs_cgroup() const { return cpus || cpuset || memory_bytes; }
  bool empty() const { return !cpus && !cpuset && !memory_bytes && !affinity && !threads; }
};

// The one rule for memory limits (--memory and an experiment's 'memory'):
// below a few MiB no process can even start, so every run would be OOM-killed.
inline constexpr int64_t kMinMemoryBytes = 4 * 1024 * 1024;

inline Expected<int64_t> check_memory_limit(int64_t bytes) {
  if (bytes < kMinMemoryBytes) {
    return make_error("impossible limit memory = {} bytes: use at least 4M (below that no process can start, "
                      "and every run would be OOM-killed)",
                      bytes);
  }
  return bytes;
}

}  // namespace coldbench::limits
