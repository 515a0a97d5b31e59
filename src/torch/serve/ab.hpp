#pragma once
// serve's A/B experiment (docs/serve.md, "A/B and canary"): requests
// addressed to arm A's model are served by A or B, by a stable hash of the
// request id (ab_routing.hpp) at the configured ratio, or at the canary's
// current stage (canary.hpp). It observes every finished request of the
// experiment: per-arm metrics, the latest forward-pass latencies of each arm,
// and the live verdict of B against A with the project's comparison
// statistics (stats/comparison.hpp). No HTTP, no LibTorch.

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stats/comparison.hpp"
#include "torch/serve/ab_routing.hpp"
#include "torch/serve/canary.hpp"
#include "torch/serve/metrics.hpp"
#include "torch/serve/options.hpp"
#include "torch/serve/server.hpp"

namespace coldbench::workload::serve {

class AbExperiment {
 public:
  using EventSink = std::function<void(const nlohmann::ordered_json&)>;
  using Clock = std::function<double()>;  // seconds, monotonic

  // Registers the per-arm and canary metrics (at zero) in `registry`.
  AbExperiment(AbOptions options, metrics::Registry& registry, std::vector<double> buckets,
               EventSink log, Clock clock = {});

  const AbOptions& options() const { return options_; }
  // The arm for a predict addressed to `model` with this id; nullopt when the
  // request is not the experiment's (another model).
  std::optional<Arm> route(std::string_view model, std::string_view request_id) const;
  const std::string& model_of(Arm arm) const { return arm == Arm::kB ? options_.b : options_.a; }
  double b_fraction() const;

  // Logs canary_started (with --canary); call once the server is ready.
  void start();
  // Thread-safe; every finished predict request (those without an arm are ignored).
  void observe(const RequestRecord& record);

  // The comparison of B against A on the latencies kept now.
  stats::Comparison comparison() const;
  // GET /v1/ab: arms, traffic, the verdict with its statistics, the canary.
  nlohmann::ordered_json status() const;

 private:
  void log_change(const CanaryChange& change);

  AbOptions options_;
  EventSink log_;
  Clock clock_;
  std::unique_ptr<CanaryController> canary_;
  metrics::Family<metrics::Counter>* requests_ = nullptr;
  metrics::Family<metrics::Histogram>* latency_ = nullptr;
  metrics::Gauge* canary_stage_ = nullptr;
  metrics::Counter* canary_rollbacks_ = nullptr;

  mutable std::mutex mutex_;
  struct ArmCounts {
    int64_t requests = 0, errors = 0;
    std::deque<double> latencies_ms;  // the latest `window`
  };
  ArmCounts arms_[2];
};

}  // namespace coldbench::workload::serve
