#include "stats/sprt.hpp"

#include <cmath>

namespace coldbench::stats {

SprtBounds sprt_bounds(double alpha, double beta) {
  return {std::log(beta / (1.0 - alpha)), std::log((1.0 - beta) / alpha)};
}

double bernoulli_llr(int64_t events, int64_t trials, double p0, double p1) {
  if (trials <= 0) return 0.0;
  const double good = static_cast<double>(trials - events);
  return static_cast<double>(events) * std::log(p1 / p0) + good * std::log((1.0 - p1) / (1.0 - p0));
}

std::string_view to_string(SprtDecision decision) {
  switch (decision) {
    case SprtDecision::AcceptH0:
      return "accept_h0";
    case SprtDecision::AcceptH1:
      return "accept_h1";
    case SprtDecision::Continue:
      break;
  }
  return "continue";
}

SprtState sprt_evaluate(int64_t events, int64_t trials, const SprtDesign& design) {
  SprtState state;
  state.events = events;
  state.trials = trials;
  state.llr = bernoulli_llr(events, trials, design.p0, design.p1);
  const SprtBounds bounds = sprt_bounds(design.alpha, design.beta);
  if (state.llr >= bounds.upper) {
    state.decision = SprtDecision::AcceptH1;
  } else if (state.llr <= bounds.lower) {
    state.decision = SprtDecision::AcceptH0;
  }
  return state;
}

}  // namespace coldbench::stats
