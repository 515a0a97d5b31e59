#include "bench/schedule.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

namespace coldbench::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// "w0:1" is warmup 1 of command 0, "0:2" measured run 2 of command 0.
std::vector<std::string> labels(const std::vector<ScheduledRun>& schedule) {
  std::vector<std::string> out;
  for (const auto& s : schedule) {
    out.push_back((s.warmup ? "w" : "") + std::to_string(s.command_index) + ":" +
                  std::to_string(s.index));
  }
  return out;
}

TEST(BenchSchedule, InterleavedAlternatesCommandsAfterAllWarmups) {
  auto schedule = build_schedule(2, 3, 2, Order::Interleaved, 1);
  EXPECT_EQ(labels(schedule), (std::vector<std::string>{"w0:0", "w1:0", "w0:1", "w1:1", "0:0",
                                                        "1:0", "0:1", "1:1", "0:2", "1:2"}));
}

TEST(BenchSchedule, SequentialRunsEachCommandWithItsWarmupsInTurn) {
  auto schedule = build_schedule(2, 2, 1, Order::Sequential, 1);
  EXPECT_EQ(labels(schedule),
            (std::vector<std::string>{"w0:0", "0:0", "0:1", "w1:0", "1:0", "1:1"}));
}

TEST(BenchSchedule, NoWarmupsAndOneCommand) {
  EXPECT_EQ(labels(build_schedule(1, 3, 0, Order::Interleaved, 1)),
            (std::vector<std::string>{"0:0", "0:1", "0:2"}));
  EXPECT_EQ(labels(build_schedule(1, 1, 0, Order::Random, 7)), (std::vector<std::string>{"0:0"}));
}

TEST(BenchSchedule, EmptyScheduleInEveryOrder) {
  // No measured runs and no warmups: nothing to shuffle (the random order
  // must not index below an empty schedule).
  for (Order order : {Order::Interleaved, Order::Sequential, Order::Random}) {
    EXPECT_THAT(build_schedule(2, 0, 0, order, 1), IsEmpty()) << to_string(order);
    EXPECT_THAT(build_schedule(0, 5, 2, order, 1), IsEmpty()) << to_string(order);
  }
  EXPECT_EQ(labels(build_schedule(2, 0, 1, Order::Random, 1)),
            (std::vector<std::string>{"w0:0", "w1:0"}));
}

// (command, warmup) pairs with their indices in execution order must count 0..n-1.
void expect_indices_in_execution_order(const std::vector<ScheduledRun>& schedule, int commands,
                                       int runs, int warmup) {
  std::vector<int> next_measured(commands, 0), next_warmup(commands, 0);
  for (const auto& s : schedule) {
    int& next = s.warmup ? next_warmup[s.command_index] : next_measured[s.command_index];
    EXPECT_EQ(s.index, next) << "command " << s.command_index << (s.warmup ? " warmup" : "");
    ++next;
  }
  for (int c = 0; c < commands; ++c) {
    EXPECT_EQ(next_measured[c], runs);
    EXPECT_EQ(next_warmup[c], warmup);
  }
}

TEST(BenchSchedule, RandomShufflesOnlyTheMeasuredRuns) {
  auto schedule = build_schedule(3, 10, 2, Order::Random, 42);
  ASSERT_EQ(schedule.size(), 36u);
  auto interleaved = build_schedule(3, 10, 2, Order::Interleaved, 42);
  // Warmups first, untouched.
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(schedule[i].warmup);
    EXPECT_EQ(schedule[i].command_index, interleaved[i].command_index);
  }
  // The measured part is a permutation: each command exactly 10 times.
  std::vector<int> count(3, 0);
  for (std::size_t i = 6; i < schedule.size(); ++i) {
    EXPECT_FALSE(schedule[i].warmup);
    ++count.at(schedule[i].command_index);
  }
  EXPECT_EQ(count, (std::vector<int>{10, 10, 10}));
  EXPECT_NE(labels(schedule), labels(interleaved));
  expect_indices_in_execution_order(schedule, 3, 10, 2);
}

TEST(BenchSchedule, RandomIsReproducibleForASeedAndDiffersBetweenSeeds) {
  auto a = build_schedule(2, 20, 1, Order::Random, 7);
  auto b = build_schedule(2, 20, 1, Order::Random, 7);
  auto c = build_schedule(2, 20, 1, Order::Random, 8);
  EXPECT_EQ(labels(a), labels(b));
  auto commands = [](const std::vector<ScheduledRun>& s) {
    std::vector<int> out;
    for (const auto& r : s) out.push_back(r.command_index);
    return out;
  };
  EXPECT_NE(commands(a), commands(c));
}

TEST(BenchSchedule, RandomUsesEveryPositionAcrossSeeds) {
  // A broken shuffle (e.g. one that never moves the last element) shows up
  // as a command that never lands first or last.
  std::vector<int> first(3, 0), last(3, 0);
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    auto s = build_schedule(3, 4, 0, Order::Random, seed);
    ++first[s.front().command_index];
    ++last[s.back().command_index];
    expect_indices_in_execution_order(s, 3, 4, 0);
  }
  for (int c = 0; c < 3; ++c) {
    EXPECT_GT(first[c], 20) << c;
    EXPECT_GT(last[c], 20) << c;
  }
}

TEST(BenchSchedule, ParseOrder) {
  for (Order order : {Order::Interleaved, Order::Sequential, Order::Random}) {
    auto parsed = parse_order(to_string(order));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, order);
  }
  for (const char* text : {"", "Random", "shuffled", "interleave"}) {
    auto bad = parse_order(text);
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_THAT(bad.error().message, HasSubstr("unknown order '" + std::string(text) + "'"));
    EXPECT_THAT(bad.error().message, HasSubstr("interleaved, sequential or random"));
  }
}

// Audit: `run -n 2147483647` preallocated a 12.5 GB schedule before the first run.
TEST(BenchSessionSize, RunsPerCommandAboveTheExperimentCapAreRefused) {
  auto too_many = check_session_size(1, 2147483647, 0);
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.error().message, HasSubstr("1 to 1000000 runs per command"));
  EXPECT_THAT(too_many.error().message, HasSubstr("the same cap as 'runs' in an experiment file"));
  EXPECT_FALSE(check_session_size(1, 0, 0).ok());
  EXPECT_FALSE(check_session_size(1, 1, -1).ok());
  EXPECT_FALSE(check_session_size(1, 1, kMaxRunsPerCommand + 1).ok());
  auto most = check_session_size(1, kMaxRunsPerCommand, 0);
  ASSERT_TRUE(most.ok());
  EXPECT_EQ(*most, kMaxRunsPerCommand);
}

TEST(BenchSessionSize, TotalAboveTheSessionCapIsRefusedWithTheProduct) {
  auto too_many = check_session_size(3, 400'000, 1);
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.error().message, HasSubstr("3 commands x (400000 runs + 1 warmup) = 1200003 runs"));
  EXPECT_THAT(too_many.error().message, HasSubstr("1000000"));
  auto fits = check_session_size(4, 10, 2);
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(*fits, 48);
}

TEST(BenchSchedule, AllocatesExactlyTheRunsItHolds) {
  for (Order order : {Order::Interleaved, Order::Sequential, Order::Random}) {
    auto schedule = build_schedule(3, 1000, 7, order, 5);
    EXPECT_EQ(schedule.size(), 3u * 1007u);
    EXPECT_EQ(schedule.capacity(), schedule.size()) << to_string(order);
  }
}

// Audit: `--seed -1` was accepted while an experiment file refused it.
TEST(BenchSeed, OneRuleRefusesNegativeAndNonIntegerSeeds) {
  for (const char* text : {"-1", "", "1.5", "seven", "99999999999999999999"}) {
    auto bad = parse_seed(text);
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_THAT(bad.error().message, HasSubstr("0 to 9223372036854775807")) << text;
  }
  EXPECT_FALSE(check_seed(-1).ok());
  EXPECT_EQ(*parse_seed("0"), 0u);
  EXPECT_EQ(*parse_seed("9223372036854775807"), 9223372036854775807ULL);
  EXPECT_EQ(*check_seed(42), 42u);
}

}  // namespace
}  // namespace coldbench::bench
