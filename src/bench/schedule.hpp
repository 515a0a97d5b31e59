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
std::string_view to_string(Order order);

struct ScheduledRun {
  int command_index = 0;
  int index = 0;  // per command, counted separately for warmups and measured runs
  bool warmup = false;
};

// Warmups come first (per command right before its runs when sequential);
// Random shuffles the measured runs with a seeded generator.
std::vector<ScheduledRun> build_schedule(int commands, int runs, int warmup, Order order, uint64_t seed);

}  // namespace coldbench::bench
