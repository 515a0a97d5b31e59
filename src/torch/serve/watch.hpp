#pragma once
// What watches `coldbench-torch serve` while it serves (docs/serve.md): the
// structured log of requests, the latency anomaly detectors of every model,
// and the leak watch's RSS sampler thread. It subscribes to the server as a
// RequestObserver; an alert is a log event, gauges and counters in the
// server's registry, and a diagnostics snapshot file. No HTTP, no LibTorch.

#include <functional>
#include <memory>
#include <vector>

#include "core/expected.hpp"
#include "torch/serve/metrics.hpp"
#include "torch/serve/options.hpp"
#include "torch/serve/server.hpp"
#include "torch/serve/structured_log.hpp"

namespace coldbench::workload::serve {

class ServeWatch {
 public:
  // Registers its metrics in `registry` (before the server serves), opens the
  // log and creates --diagnostics-dir; errors name the option to fix.
  static Expected<std::shared_ptr<ServeWatch>> create(const WatchOptions& options,
                                                      metrics::Registry& registry);
  ~ServeWatch();  // stop_leak_watch()
  ServeWatch(const ServeWatch&) = delete;
  ServeWatch& operator=(const ServeWatch&) = delete;

  // The models served: their detector series appear (at 0) in /metrics, and
  // a warm-up at batch 1 makes that shape "warm" in the log.
  void watch_models(const std::vector<ServedModel>& models, bool warmed_up);
  // How many requests are in flight, for diagnostics snapshots.
  void set_in_flight(std::function<int64_t()> read);
  // Thread-safe; called from HTTP threads for every finished predict request.
  void observe(const RequestRecord& record);
  void start_leak_watch();
  void stop_leak_watch();
  // Lifecycle and other events outside requests.
  void write(const LogEvent& event);

 private:
  struct Impl;
  explicit ServeWatch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coldbench::workload::serve
