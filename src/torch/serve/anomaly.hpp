#pragma once
// Latency anomaly detectors for `coldbench-torch serve` (docs/serve.md): the
// tutorial's baseline window with a 3-sigma rule, its online EWMA with a
// z-score, and a robust rolling median/MAD; each behind a minimum count and
// hysteresis so one slow request does not raise an alert. Pure: no clock, no
// HTTP, no LibTorch, not thread-safe (the caller holds one lock per model).

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::workload::anomaly {

enum class DetectorKind { kBaseline3Sigma, kEwma, kMad };
std::string_view detector_name(DetectorKind kind);  // baseline_3sigma | ewma | mad
// "baseline_3sigma,ewma" -> kinds; "none" -> none; unknown names are errors.
Expected<std::vector<DetectorKind>> parse_detectors(std::string_view text);

// Raise after `raise_after` anomalous points among the last `raise_window`
// judged ones; clear after `clear_after` normal points in a row.
struct Hysteresis {
  int raise_after = 5;
  int raise_window = 10;
  int clear_after = 20;
};

struct DetectorParams {
  int baseline = 100;           // baseline_3sigma: the first N latencies are the baseline
  double sigma = 3;             // baseline_3sigma: flag beyond mean + sigma * sd
  double ewma_alpha = 0.1;      // ewma: weight of the newest latency
  double ewma_z = 3;            // ewma: flag beyond mean + z * sd
  int mad_window = 100;         // mad: the last N latencies
  double mad_k = 3.5;           // mad: flag beyond median + k * 1.4826 * MAD
  int min_count = 30;           // ewma, mad: latencies seen before they judge
  double floor_fraction = 0.1;  // the spread is at least this fraction of the centre
  Hysteresis hysteresis;
};

// What a detector knows now, for /metrics, logs and diagnostics.
struct DetectorState {
  bool ready = false;    // has its minimum count / baseline
  int64_t seen = 0;      // latencies observed
  double center = 0;     // mean (baseline, ewma) or median (mad), ms
  double spread = 0;     // sd or 1.4826 * MAD before the floor, ms
  double threshold = 0;  // a latency above this (ms) is anomalous
  double last_value = 0;
  double last_score = 0;  // (value - center) / floored spread
  bool last_anomalous = false;
};

// One judgement rule; observe() judges a latency against what came before it
// and then learns from it.
class Detector {
 public:
  virtual ~Detector() = default;
  // nullopt: not judged (not ready yet); true: anomalous.
  virtual std::optional<bool> observe(double value_ms) = 0;
  virtual DetectorState state() const = 0;
  virtual DetectorKind kind() const = 0;
};
std::unique_ptr<Detector> make_detector(DetectorKind kind, const DetectorParams& params);

enum class Transition { kNone, kRaised, kCleared };

// A detector behind the hysteresis: the alert state a model has.
class LatencyWatch {
 public:
  LatencyWatch(DetectorKind kind, const DetectorParams& params);
  Transition observe(double value_ms);
  bool active() const { return active_; }
  bool ready() const { return detector_->state().ready; }
  int64_t alerts() const { return alerts_; }
  DetectorKind kind() const { return detector_->kind(); }
  DetectorState state() const { return detector_->state(); }
  const Hysteresis& hysteresis() const { return hysteresis_; }

 private:
  std::unique_ptr<Detector> detector_;
  Hysteresis hysteresis_;
  std::deque<bool> recent_;  // judged points, newest last, at most raise_window
  int anomalous_in_window_ = 0;
  int normal_run_ = 0;
  bool active_ = false;
  int64_t alerts_ = 0;
};

}  // namespace coldbench::workload::anomaly
