#pragma once
// Wald's sequential probability ratio test for the rate of a "bad event"
// (an error, a latency above a bound): look after every observation, stop as
// soon as the evidence crosses a boundary. serve's canary (docs/serve.md)
// decides each stage with two of these. docs/statistics.md, "Canary".

#include <cstdint>
#include <string_view>

namespace coldbench::stats {

// H0: the rate is p0 (acceptable); H1: the rate is p1 > p0 (worse).
// alpha: chance of accepting H1 when H0 holds; beta: of accepting H0 when H1 holds.
struct SprtDesign {
  double p0 = 0.01;
  double p1 = 0.10;
  double alpha = 0.01;
  double beta = 0.05;
};

// Wald's boundaries on the log likelihood ratio: accept H1 at or above
// log((1 - beta) / alpha), H0 at or below log(beta / (1 - alpha)).
struct SprtBounds {
  double lower = 0;
  double upper = 0;
};
SprtBounds sprt_bounds(double alpha, double beta);

// log L(p1) / L(p0) after `events` bad events in `trials` Bernoulli trials.
// 0 for no trials; p0 and p1 must lie in (0, 1) with p0 < p1.
double bernoulli_llr(int64_t events, int64_t trials, double p0, double p1);

enum class SprtDecision { Continue, AcceptH0, AcceptH1 };
std::string_view to_string(SprtDecision decision);

struct SprtState {
  int64_t events = 0;
  int64_t trials = 0;
  double llr = 0;
  SprtDecision decision = SprtDecision::Continue;
};
SprtState sprt_evaluate(int64_t events, int64_t trials, const SprtDesign& design);

}  // namespace coldbench::stats
