#pragma once
// Samples a cgroup v2 memory.current during a run, for kernels before 5.19
// that keep no memory.peak. The thread only opens, reads and closes the file
// with stack buffers (no allocation, no locks), so the harness may fork
// while it runs.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

namespace coldbench::limits {

class MemorySampler {
 public:
  // Starts sampling `path` every `interval_ms`.
  explicit MemorySampler(std::string path, int interval_ms = 5);
  MemorySampler(const MemorySampler&) = delete;
  MemorySampler& operator=(const MemorySampler&) = delete;
  ~MemorySampler();

  // Stops the thread (idempotent) and returns the highest value seen, if any.
  std::optional<int64_t> stop();

 private:
  void loop();
  void sample();

  std::string path_;
  int interval_ms_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> peak_{-1};
  std::thread thread_;
};

}  // namespace coldbench::limits
