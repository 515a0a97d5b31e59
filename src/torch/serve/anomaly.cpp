#include "torch/serve/anomaly.hpp"

#include <algorithm>
#include <cmath>

#include "core/text.hpp"

namespace coldbench::workload::anomaly {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// A spread of zero (identical latencies) would flag any larger value: the
// floor keeps "anomalous" a minimum effect size, plus 1 us for a zero centre.
double floored(double spread, double center, double floor_fraction) {
  return std::max({spread, floor_fraction * std::abs(center), 1e-3});
}

double median_of(std::vector<double> values) {
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

// Scores against what was known before the value, so a value never dilutes
// its own judgement (the tutorial's EWMA updated first, then scored).
void judge(DetectorState& state, double value, double threshold_units, double floor_fraction) {
  const double spread = floored(state.spread, state.center, floor_fraction);
  state.threshold = state.center + threshold_units * spread;
  state.last_value = value;
  state.last_score = (value - state.center) / spread;
  // One-sided: a faster request is not an incident (the tutorial's abs()
  // would page on a speed-up).
  state.last_anomalous = value > state.threshold;
}

class Baseline3Sigma final : public Detector {
 public:
  explicit Baseline3Sigma(const DetectorParams& p) : params_(p) {}
  std::optional<bool> observe(double value) override {
    ++state_.seen;
    if (!state_.ready) {
      baseline_.push_back(value);
      if (static_cast<int>(baseline_.size()) >= params_.baseline) freeze();
      return std::nullopt;
    }
    judge(state_, value, params_.sigma, params_.floor_fraction);
    return state_.last_anomalous;
  }
  DetectorState state() const override { return state_; }
  DetectorKind kind() const override { return DetectorKind::kBaseline3Sigma; }

 private:
  void freeze() {
    double sum = 0;
    for (double v : baseline_) sum += v;
    const double mean = sum / static_cast<double>(baseline_.size());
    double squares = 0;
    for (double v : baseline_) squares += (v - mean) * (v - mean);
    state_.center = mean;
    state_.spread = std::sqrt(squares / static_cast<double>(baseline_.size()));
    state_.threshold = mean + params_.sigma * floored(state_.spread, mean, params_.floor_fraction);
    state_.ready = true;
    baseline_.clear();
    baseline_.shrink_to_fit();
  }
  DetectorParams params_;
  DetectorState state_;
  std::vector<double> baseline_;
};

class Ewma final : public Detector {
 public:
  explicit Ewma(const DetectorParams& p) : params_(p) {}
  std::optional<bool> observe(double value) override {
    std::optional<bool> verdict;
    double learn = value;
    if (state_.seen >= params_.min_count) {
      state_.ready = true;
      judge(state_, value, params_.ewma_z, params_.floor_fraction);
      verdict = state_.last_anomalous;
      // Learn from an outlier only up to the threshold: one huge value must
      // not inflate the variance so much that the next ones look normal.
      learn = std::min(value, state_.threshold);
    }
    if (state_.seen == 0) {
      state_.center = value;
      variance_ = 0;
    } else {
      const double diff = learn - state_.center;
      state_.center += params_.ewma_alpha * diff;
      variance_ = (1 - params_.ewma_alpha) * (variance_ + params_.ewma_alpha * diff * diff);
    }
    state_.spread = std::sqrt(variance_);
    ++state_.seen;
    if (state_.seen >= params_.min_count) state_.ready = true;
    return verdict;
  }
  DetectorState state() const override { return state_; }
  DetectorKind kind() const override { return DetectorKind::kEwma; }

 private:
  DetectorParams params_;
  DetectorState state_;
  double variance_ = 0;
};

class RollingMad final : public Detector {
 public:
  explicit RollingMad(const DetectorParams& p) : params_(p) {}
  std::optional<bool> observe(double value) override {
    std::optional<bool> verdict;
    if (state_.ready) {
      judge(state_, value, params_.mad_k, params_.floor_fraction);
      verdict = state_.last_anomalous;
    }
    window_.push_back(value);
    if (static_cast<int>(window_.size()) > params_.mad_window) window_.pop_front();
    ++state_.seen;
    if (static_cast<int>(window_.size()) >= params_.min_count) {
      std::vector<double> values(window_.begin(), window_.end());
      state_.center = median_of(values);
      for (double& v : values) v = std::abs(v - state_.center);
      state_.spread = 1.4826 * median_of(std::move(values));  // ~sd for normal data
      state_.threshold = state_.center + params_.mad_k * floored(state_.spread, state_.center,
                                                                 params_.floor_fraction);
      state_.ready = true;
    }
    return verdict;
  }
  DetectorState state() const override { return state_; }
  DetectorKind kind() const override { return DetectorKind::kMad; }

 private:
  DetectorParams params_;
  DetectorState state_;
  std::deque<double> window_;
};

}  // namespace

std::string_view detector_name(DetectorKind kind) {
  switch (kind) {
    case DetectorKind::kBaseline3Sigma:
      return "baseline_3sigma";
    case DetectorKind::kEwma:
      return "ewma";
    case DetectorKind::kMad:
      return "mad";
  }
  return "unknown";
}

Expected<std::vector<DetectorKind>> parse_detectors(std::string_view text) {
  std::vector<DetectorKind> kinds;
  if (trim(text) == "none") return kinds;
  for (std::string_view part : split(text, ',')) {
    part = trim(part);
    std::optional<DetectorKind> found;
    for (DetectorKind kind :
         {DetectorKind::kBaseline3Sigma, DetectorKind::kEwma, DetectorKind::kMad}) {
      if (part == detector_name(kind)) found = kind;
    }
    if (!found) {
      return make_error(
          "--anomaly-detectors: '{}' is not a detector. fix: a comma-separated list of "
          "baseline_3sigma, ewma, mad, or none",
          part);
    }
    if (std::find(kinds.begin(), kinds.end(), *found) == kinds.end()) kinds.push_back(*found);
  }
  return kinds;
}

std::unique_ptr<Detector> make_detector(DetectorKind kind, const DetectorParams& params) {
  switch (kind) {
    case DetectorKind::kBaseline3Sigma:
      return std::make_unique<Baseline3Sigma>(params);
    case DetectorKind::kEwma:
      return std::make_unique<Ewma>(params);
    case DetectorKind::kMad:
      return std::make_unique<RollingMad>(params);
  }
  return nullptr;
}

LatencyWatch::LatencyWatch(DetectorKind kind, const DetectorParams& params)
    : detector_(make_detector(kind, params)), hysteresis_(params.hysteresis) {}

Transition LatencyWatch::observe(double value_ms) {
  std::optional<bool> anomalous = detector_->observe(value_ms);
  if (!anomalous) return Transition::kNone;
  recent_.push_back(*anomalous);
  anomalous_in_window_ += *anomalous ? 1 : 0;
  if (static_cast<int>(recent_.size()) > hysteresis_.raise_window) {
    anomalous_in_window_ -= recent_.front() ? 1 : 0;
    recent_.pop_front();
  }
  normal_run_ = *anomalous ? 0 : normal_run_ + 1;
  if (!active_ && anomalous_in_window_ >= hysteresis_.raise_after) {
    active_ = true;
    ++alerts_;
    return Transition::kRaised;
  }
  if (active_ && normal_run_ >= hysteresis_.clear_after) {
    active_ = false;
    // A new alert needs raise_after fresh anomalous points.
    recent_.clear();
    anomalous_in_window_ = 0;
    return Transition::kCleared;
  }
  return Transition::kNone;
}

}  // namespace coldbench::workload::anomaly
