#include "torch/serve/leak_watch.hpp"

#include <algorithm>
#include <array>

namespace coldbench::workload::leak {

std::optional<LineFit> fit_line(const std::deque<Sample>& samples) {
  if (samples.size() < 2) return std::nullopt;
  const double n = static_cast<double>(samples.size());
  double mean_t = 0, mean_y = 0;
  for (const Sample& s : samples) {
    mean_t += s.t_s;
    mean_y += s.rss_bytes;
  }
  mean_t /= n;
  mean_y /= n;
  double stt = 0, sty = 0, syy = 0;
  for (const Sample& s : samples) {
    const double dt = s.t_s - mean_t, dy = s.rss_bytes - mean_y;
    stt += dt * dt;
    sty += dt * dy;
    syy += dy * dy;
  }
  if (stt <= 0) return std::nullopt;
  LineFit fit;
  fit.slope = sty / stt;
  fit.intercept = mean_y - fit.slope * mean_t;
  fit.r2 = syy > 0 ? (sty * sty) / (stt * syy) : 0;
  return fit;
}

bool grows_in_every_quarter(const std::deque<Sample>& samples, double slope) {
  if (samples.size() < 8 || slope <= 0) return false;
  const double start = samples.front().t_s, span = samples.back().t_s - start;
  if (span <= 0) return false;
  std::array<double, 4> sum{}, count{};
  for (const Sample& s : samples) {
    size_t quarter = std::min<size_t>(3, static_cast<size_t>((s.t_s - start) / span * 4));
    sum[quarter] += s.rss_bytes;
    count[quarter] += 1;
  }
  const double expected_step = slope * span / 4;
  for (size_t q = 0; q < 4; ++q) {
    if (count[q] == 0) return false;
    if (q > 0 && sum[q] / count[q] - sum[q - 1] / count[q - 1] < 0.25 * expected_step) return false;
  }
  return true;
}

LeakJudge::LeakJudge(LeakParams params) : params_(params) {}

anomaly::Transition LeakJudge::add(Sample sample) {
  window_.push_back(sample);
  while (!window_.empty() && window_.front().t_s < sample.t_s - params_.window_s)
    window_.pop_front();
  state_.samples = window_.size();
  state_.span_s = window_.back().t_s - window_.front().t_s;
  // 90%: sampling jitter must not keep a full window from counting as full.
  state_.ready = window_.size() >= 8 && state_.span_s >= 0.9 * params_.window_s;
  auto fit = fit_line(window_);
  state_.slope = state_.ready && fit ? fit->slope : 0;
  state_.r2 = state_.ready && fit ? fit->r2 : 0;
  state_.growing = state_.ready && state_.slope > params_.threshold_bytes_per_s &&
                   grows_in_every_quarter(window_, state_.slope);
  if (!state_.active) {
    if (!state_.growing) return anomaly::Transition::kNone;
    state_.active = true;
    quiet_run_ = 0;
    ++alerts_;
    return anomaly::Transition::kRaised;
  }
  // Clear on a lower level than the raise, and only when it holds: no flapping
  // while the slope hovers near the threshold.
  quiet_run_ = state_.slope < params_.threshold_bytes_per_s / 2 ? quiet_run_ + 1 : 0;
  if (quiet_run_ < params_.clear_after) return anomaly::Transition::kNone;
  state_.active = false;
  return anomaly::Transition::kCleared;
}

}  // namespace coldbench::workload::leak
