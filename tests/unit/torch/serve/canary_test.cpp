#include "torch/serve/canary.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "torch/serve/ab_routing.hpp"

namespace coldbench::workload::serve {
namespace {

struct Traffic {
  std::vector<CanaryChange> changes;
  int64_t requests = 0;
};

// Routes `count` requests by the controller's current share, with forward
// passes drawn from lognormal distributions whose medians are a_ms and b_ms;
// B fails (5xx) with probability b_error_rate.
Traffic drive(CanaryController& canary, int64_t count, double a_ms, double b_ms,
              double b_error_rate = 0, double seconds_per_request = 0.001) {
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> spread(0.0, 0.15);
  std::bernoulli_distribution fails(b_error_rate);
  Traffic run;
  double now = 0;
  for (int64_t i = 0; i < count && canary.state() == CanaryState::kRamping; ++i) {
    now += seconds_per_request;
    const bool b = route_request("r-" + std::to_string(i), canary.b_fraction()) == Arm::kB;
    const bool error = b && fails(random);
    std::optional<double> latency;
    if (!error) latency = (b ? b_ms : a_ms) * spread(random);
    if (auto change = canary.observe(b, error, latency, now)) run.changes.push_back(*change);
    run.requests = i + 1;
  }
  return run;
}

TEST(Canary, ATenTimesSlowerBIsRolledBackInTheFirstStage) {
  CanaryController canary(CanaryParams{}, 0);
  EXPECT_EQ(canary.percent(), 1);
  EXPECT_DOUBLE_EQ(canary.b_fraction(), 0.01);
  const Traffic run = drive(canary, 5000, 10, 100);
  ASSERT_EQ(run.changes.size(), 1u);
  EXPECT_EQ(run.changes[0].event, "canary_rolled_back");
  EXPECT_EQ(run.changes[0].from_percent, 1);
  EXPECT_EQ(run.changes[0].to_percent, 0);
  EXPECT_EQ(run.changes[0].decided_by, "sequential_test");
  EXPECT_EQ(run.changes[0].evidence["latency"]["decision"], "accept_h1");
  EXPECT_EQ(canary.state(), CanaryState::kRolledBack);
  EXPECT_EQ(canary.b_fraction(), 0.0);
  // A's reference needs 100 latencies; then the B latencies seen so far decide.
  EXPECT_LT(run.requests, 400);
}

TEST(Canary, AnEqualBIsPromotedThroughEveryStageByTheTests) {
  CanaryParams params;
  params.stage_requests = 0;  // no limits: every stage decided by the sequential tests
  params.stage_seconds = 0;
  CanaryController canary(params, 0);
  const Traffic run = drive(canary, 100000, 10, 10);
  std::vector<int> reached;
  for (const CanaryChange& change : run.changes) reached.push_back(change.to_percent);
  EXPECT_EQ(reached, (std::vector<int>{5, 20, 50, 100}));
  EXPECT_EQ(run.changes.back().event, "canary_promoted");
  EXPECT_EQ(canary.state(), CanaryState::kPromoted);
  EXPECT_EQ(canary.b_fraction(), 1.0);
  for (const CanaryChange& change : run.changes)
    EXPECT_EQ(change.decided_by, "sequential_test") << change.reason;
}

TEST(Canary, BThatFailsIsRolledBackByTheErrorTest) {
  CanaryParams params;
  params.stages = {50, 100};
  CanaryController canary(params, 0);
  const Traffic run = drive(canary, 5000, 10, 10, 0.5);
  ASSERT_FALSE(run.changes.empty());
  EXPECT_EQ(run.changes.back().event, "canary_rolled_back");
  EXPECT_EQ(run.changes.back().evidence["errors"]["decision"], "accept_h1");
}

TEST(Canary, AStageUndecidedAtItsLimitIsPromoted) {
  CanaryParams params;
  params.stage_requests = 50;  // at 1%, too few B requests for the tests to decide
  CanaryController canary(params, 0);
  const Traffic run = drive(canary, 60, 10, 10);
  ASSERT_EQ(run.changes.size(), 1u);
  EXPECT_EQ(run.changes[0].event, "canary_stage");
  EXPECT_EQ(run.changes[0].decided_by, "limit");
  EXPECT_EQ(run.changes[0].to_percent, 5);

  CanaryParams timed;
  timed.stage_seconds = 1;
  CanaryController by_time(timed, 0);
  const Traffic slow = drive(by_time, 30, 10, 10, 0, 0.1);  // 3 s of traffic
  ASSERT_GE(slow.changes.size(), 2u);
  EXPECT_EQ(slow.changes[0].decided_by, "limit");
}

TEST(Canary, StatusShowsTheStageAndItsTests) {
  CanaryController canary(CanaryParams{}, 0);
  auto status = canary.status(0);
  EXPECT_EQ(status["state"], "ramping");
  EXPECT_EQ(status["percent"], 1);
  EXPECT_EQ(status["stage"], 1);
  EXPECT_EQ(status["current"]["latency"]["p0"], 0.01);
  EXPECT_EQ(canary.started().event, "canary_started");
}

}  // namespace
}  // namespace coldbench::workload::serve
