#include "core/clock.hpp"

#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <regex>
#include <thread>

namespace coldbench {
namespace {

TEST(CoreClock, MonotonicNeverGoesBackwards) {
  int64_t previous = monotonic_ns();
  EXPECT_GT(previous, 0);
  for (int i = 0; i < 100000; ++i) {
    int64_t now = monotonic_ns();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

TEST(CoreClock, MonotonicAdvancesAtLeastBySleeps) {
  int64_t start = monotonic_ns();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GE(monotonic_ns() - start, 20'000'000);
}

TEST(CoreClock, MonotonicIsTheSameClockAsClockMonotonic) {
  // Workloads stamp markers with CLOCK_MONOTONIC; ours must be the same clock.
  timespec ts{};
  int64_t before = monotonic_ns();
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t after = monotonic_ns();
  int64_t theirs = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  EXPECT_LE(before, theirs);
  EXPECT_LE(theirs, after);
}

TEST(CoreClock, UtcTimestampIsIso8601WithMilliseconds) {
  const std::regex iso(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z$)");
  for (int i = 0; i < 50; ++i) {
    std::string stamp = utc_timestamp();
    std::smatch m;
    ASSERT_TRUE(std::regex_match(stamp, m, iso)) << stamp;
    EXPECT_GE(std::stoi(m[1]), 2024) << stamp;
    EXPECT_LE(std::stoi(m[2]), 12) << stamp;
    EXPECT_LE(std::stoi(m[4]), 23) << stamp;
    EXPECT_LE(std::stoi(m[5]), 59) << stamp;
    EXPECT_LE(std::stoi(m[6]), 60) << stamp;
  }
}

TEST(CoreClock, UtcTimestampsSortAsText) {
  std::string first = utc_timestamp();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_LT(first, utc_timestamp());
}

}  // namespace
}  // namespace coldbench
