#include "stats/sprt.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace coldbench::stats {
namespace {

TEST(Sprt, WaldBoundsFromAlphaAndBeta) {
  const SprtBounds bounds = sprt_bounds(0.01, 0.05);
  EXPECT_NEAR(bounds.upper, std::log(0.95 / 0.01), 1e-12);
  EXPECT_NEAR(bounds.lower, std::log(0.05 / 0.99), 1e-12);
}

TEST(Sprt, LikelihoodRatioAddsPerEvent) {
  EXPECT_EQ(bernoulli_llr(0, 0, 0.01, 0.1), 0.0);
  EXPECT_NEAR(bernoulli_llr(1, 1, 0.01, 0.1), std::log(10.0), 1e-12);
  EXPECT_NEAR(bernoulli_llr(0, 1, 0.01, 0.1), std::log(0.9 / 0.99), 1e-12);
  EXPECT_NEAR(bernoulli_llr(2, 10, 0.01, 0.1), 2 * std::log(10.0) + 8 * std::log(0.9 / 0.99),
              1e-12);
}

TEST(Sprt, TwoBadEventsInARowAcceptH1AndThirtyTwoGoodOnesAcceptH0) {
  const SprtDesign design;  // p0 1%, p1 10%, alpha 1%, beta 5%
  EXPECT_EQ(sprt_evaluate(1, 1, design).decision, SprtDecision::Continue);
  EXPECT_EQ(sprt_evaluate(2, 2, design).decision, SprtDecision::AcceptH1);
  EXPECT_EQ(sprt_evaluate(0, 31, design).decision, SprtDecision::Continue);
  EXPECT_EQ(sprt_evaluate(0, 32, design).decision, SprtDecision::AcceptH0);
  EXPECT_EQ(to_string(SprtDecision::AcceptH1), "accept_h1");
}

// The design's promise, simulated with a seeded generator: at the H0 rate
// the test rarely accepts H1, at the H1 rate it rarely accepts H0.
double accept_h1_rate(double rate, const SprtDesign& design) {
  std::mt19937_64 random(7);
  std::bernoulli_distribution bad(rate);
  int accepted_h1 = 0;
  constexpr int kTrials = 4000;
  for (int trial = 0; trial < kTrials; ++trial) {
    int64_t events = 0;
    for (int64_t n = 1; n <= 100000; ++n) {
      events += bad(random) ? 1 : 0;
      const SprtState state = sprt_evaluate(events, n, design);
      if (state.decision == SprtDecision::Continue) continue;
      accepted_h1 += state.decision == SprtDecision::AcceptH1 ? 1 : 0;
      break;
    }
  }
  return static_cast<double>(accepted_h1) / kTrials;
}

TEST(Sprt, ErrorRatesStayWithinTheDesign) {
  const SprtDesign design;
  EXPECT_LE(accept_h1_rate(design.p0, design), design.alpha * 1.5);
  EXPECT_GE(accept_h1_rate(design.p1, design), 1.0 - design.beta * 1.5);
}

}  // namespace
}  // namespace coldbench::stats
