#pragma once
// The order in which a session's runs happen. Interleaving (A B A B) spreads
// drift (thermal, cache, background load) evenly over the commands.

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::bench {

enum class Order { Interleaved, Sequential, Random };

Expected<Order> parse_order(std::string_view text);

// Bounds on a session's size, shared by `run` and experiment files. Every run
// record stays in memory until the session ends, and a million process starts
// already take hours, so larger sessions are split, not attempted.
inline constexpr int kMaxRunsPerCommand = 1'000'000;  // measured runs, and warmups, per command
inline constexpr int64_t kMaxSessionRuns = 1'000'000;  // every command's runs and warmups together

// Checks runs (1..kMaxRunsPerCommand), warmup (0..kMaxRunsPerCommand) and the
// total; returns the number of scheduled runs.
// `what` names the commands in the message ("commands", or "configs" for an experiment).
Expected<int64_t> check_session_size(int64_t commands, int64_t runs, int64_t warmup,
                                     std::string_view what = "commands");

// The one rule for seeds (--seed and an experiment's 'seed'): an integer from
// 0 to 2^63-1, the range a TOML integer can hold.
Expected<uint64_t> parse_seed(std::string_view text);
Expected<uint64_t> check_seed(int64_t value);
std::string_view to_string(Order order);

struct ScheduledRun {
  int command_index = 0;
  int index = 0;  // per command, counted separately for warmups and measured runs
  bool warmup = false;
};

// Warmups come first (per command right before its runs when sequential);
// Random shuffles the measured runs with a seeded generator. The caller
// bounds the size with check_session_size; exactly that much is allocated.
std::vector<ScheduledRun> build_schedule(int commands, int runs, int warmup, Order order, uint64_t seed);

}  // namespace coldbench::bench
