#pragma once
// serve's canary rollout (docs/serve.md, "Canary"): B's share of an A/B
// experiment's traffic steps through stages (default 1, 5, 20, 50, 100%);
// each stage ends when two sequential tests (stats/sprt.hpp) decide, or at the
// stage's request or time limit:
//   latency: a bad event is a B forward pass slower than (1 + p99 margin) x
//            A's p99 (A's last `reference_window` latencies); H0 rate 1% (B's
//            p99 within the margin), H1 rate 10%;
//   errors:  a bad event is a B request answered 5xx; H0 rate A's error rate +
//            the error margin, H1 that + 9 points.
// Either test accepting H1 rolls B back to 0% at once; both accepting H0
// promotes to the next stage; at a limit with neither boundary crossed the
// stage is promoted ("decided_by": "limit"). Pure logic, no HTTP and no
// LibTorch: the caller passes the time.

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "stats/sprt.hpp"

namespace coldbench::workload::serve {

struct CanaryParams {
  std::vector<int> stages = {1, 5, 20, 50, 100};  // percent of traffic to B, ending at 100
  double p99_margin = 0.20;                       // B's p99 may be this much above A's
  double error_margin = 0.01;                     // B's error rate may be this much above A's
  double h1_excess = 0.09;                        // H1's bad-event rate is H0's plus this
  double alpha = 0.01;                            // chance of rolling back a B that is not worse
  double beta = 0.05;                             // chance of promoting a B at H1 (before a limit)
  int64_t min_reference = 100;                    // A latencies before B's latencies are judged
  size_t reference_window = 1000;
  int64_t stage_requests = 2000;  // experiment requests per stage before the limit; 0: none
  double stage_seconds = 300;     // seconds per stage before the limit; 0: none
};

enum class CanaryState { kRamping, kPromoted, kRolledBack };
std::string_view to_string(CanaryState state);

// A stage change, for the log and the metrics.
struct CanaryChange {
  std::string event;  // canary_started, canary_stage, canary_promoted, canary_rolled_back
  int from_percent = 0;
  int to_percent = 0;
  std::string decided_by;           // "", "sequential_test", "limit"
  std::string reason;               // what decided, in words
  nlohmann::ordered_json evidence;  // the stage's two tests as they stood
};

class CanaryController {
 public:
  CanaryController(CanaryParams params, double now_s);

  // B's share of the experiment's traffic now (read on every request).
  double b_fraction() const { return fraction_.load(std::memory_order_relaxed); }
  int percent() const;
  CanaryState state() const;
  // The first event (canary_started), for the log.
  CanaryChange started() const;

  // One finished request of the experiment: its arm, whether the server
  // failed it (5xx) and, when it ran, its forward-pass latency. Returns the
  // stage change it caused, if any. Thread-safe.
  std::optional<CanaryChange> observe(bool arm_b, bool server_error,
                                      std::optional<double> latency_ms, double now_s);

  // The current stage and its two tests, for /v1/ab.
  nlohmann::ordered_json status(double now_s) const;

 private:
  struct Tests {
    stats::SprtState latency, errors;
    stats::SprtDesign latency_design, errors_design;
    double reference_p99_ms = 0;  // 0: not yet
    double bound_ms = 0;
  };
  Tests evaluate() const;
  void judge_pending();
  nlohmann::ordered_json evidence(const Tests& tests, double now_s) const;
  std::optional<CanaryChange> step(double now_s);
  void enter(size_t stage, double now_s);

  const CanaryParams params_;
  std::atomic<double> fraction_{0};
  mutable std::mutex mutex_;
  CanaryState state_ = CanaryState::kRamping;
  size_t stage_ = 0;
  int percent_ = 0;
  double stage_start_s_ = 0;
  int64_t stage_requests_ = 0;
  // B in this stage.
  int64_t b_requests_ = 0, b_errors_ = 0;
  int64_t b_judged_ = 0, b_slow_ = 0;
  std::vector<double> b_pending_;  // latencies waiting for A's reference
  // A over the whole canary.
  int64_t a_requests_ = 0, a_errors_ = 0;
  std::deque<double> a_latencies_;
  double reference_p99_ms_ = 0;
};

}  // namespace coldbench::workload::serve
