#include "load/peak_search.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace coldbench::load {
namespace {

// Drives a search against a server whose true capacity is `capacity`: a rate passes when below it.
std::vector<double> run_search(PeakSearch& search, const std::function<Verdict(double)>& verdict) {
  std::vector<double> rates;
  while (auto rate = search.next_rate()) {
    rates.push_back(*rate);
    search.record(*rate, verdict(*rate));
    if (rates.size() > 100) break;  // a runaway search fails the test below
  }
  return rates;
}

TEST(PeakSearch, GrowsUntilAFailureThenBisectsToTheTolerance) {
  PeakSearch search({.start_rate = 100, .growth = 2, .tolerance = 0.05, .max_steps = 30});
  auto rates =
      run_search(search, [](double r) { return r <= 700 ? Verdict::Pass : Verdict::Fail; });
  ASSERT_GE(rates.size(), 4u);
  EXPECT_EQ(std::vector<double>(rates.begin(), rates.begin() + 4),
            (std::vector<double>{100, 200, 400, 800}));
  EXPECT_EQ(rates[4], 600);  // midpoint of the bracket [400, 800]
  ASSERT_TRUE(search.peak() && search.first_fail());
  EXPECT_LE(*search.peak(), 700);
  EXPECT_GT(*search.first_fail(), 700);
  EXPECT_LE(*search.first_fail() / *search.peak() - 1, 0.05);
  EXPECT_EQ(search.stop_reason(), "bracket within tolerance");
  EXPECT_EQ(search.steps(), static_cast<int>(rates.size()));
}

TEST(PeakSearch, InconclusiveCountsAsAFailure) {
  PeakSearch search({.start_rate = 100, .growth = 2, .tolerance = 0.1, .max_steps = 30});
  run_search(search, [](double r) { return r <= 300 ? Verdict::Pass : Verdict::Inconclusive; });
  ASSERT_TRUE(search.peak());
  EXPECT_LE(*search.peak(), 300);
  EXPECT_GT(*search.first_fail(), 300);
}

TEST(PeakSearch, ShrinksWhileNothingPassesAndGivesUpAtTheFloor) {
  PeakSearch down({.start_rate = 100, .growth = 2, .tolerance = 0.05, .max_steps = 30});
  auto rates = run_search(down, [](double r) { return r <= 30 ? Verdict::Pass : Verdict::Fail; });
  EXPECT_EQ(std::vector<double>(rates.begin(), rates.begin() + 3),
            (std::vector<double>{100, 50, 25}));
  ASSERT_TRUE(down.peak());
  EXPECT_LE(*down.peak(), 30);

  PeakSearch never({.start_rate = 1,
                    .growth = 2,
                    .tolerance = 0.05,
                    .max_steps = 30,
                    .max_rate = 1e6,
                    .min_rate = 0.2});
  rates = run_search(never, [](double) { return Verdict::Fail; });
  EXPECT_EQ(rates, (std::vector<double>{1, 0.5, 0.25}));
  EXPECT_FALSE(never.peak());
  EXPECT_NE(never.stop_reason().find("no rate passed"), std::string::npos);
}

TEST(PeakSearch, StopsAtTheStepLimitAndAtTheRateLimit) {
  PeakSearch steps({.start_rate = 1, .growth = 2, .tolerance = 0.05, .max_steps = 3});
  auto rates = run_search(steps, [](double) { return Verdict::Pass; });
  EXPECT_EQ(rates, (std::vector<double>{1, 2, 4}));
  EXPECT_EQ(steps.stop_reason(), "step limit");
  EXPECT_FALSE(steps.first_fail());

  PeakSearch cap(
      {.start_rate = 300, .growth = 2, .tolerance = 0.05, .max_steps = 30, .max_rate = 1000});
  rates = run_search(cap, [](double) { return Verdict::Pass; });
  EXPECT_EQ(rates, (std::vector<double>{300, 600, 1000}));
  EXPECT_NE(cap.stop_reason().find("rate limit"), std::string::npos);
}

}  // namespace
}  // namespace coldbench::load
