#include "bench/schedule.hpp"

#include <random>

namespace coldbench::bench {

Expected<Order> parse_order(std::string_view text) {
  if (text == "interleaved") return Order::Interleaved;
  if (text == "sequential") return Order::Sequential;
  if (text == "random") return Order::Random;
  return make_error("unknown order '{}': use interleaved, sequential or random", text);
}

std::string_view to_string(Order order) {
  switch (order) {
    case Order::Interleaved: return "interleaved";
    case Order::Sequential: return "sequential";
    case Order::Random: return "random";
  }
  return "interleaved";
}

std::vector<ScheduledRun> build_schedule(int commands, int runs, int warmup, Order order, uint64_t seed) {
  std::vector<ScheduledRun> schedule;
  if (order == Order::Sequential) {
    for (int c = 0; c < commands; ++c) {
      for (int i = 0; i < warmup; ++i) schedule.push_back({c, i, true});
      for (int i = 0; i < runs; ++i) schedule.push_back({c, i, false});
    }
    return schedule;
  }
  for (int i = 0; i < warmup; ++i) {
    for (int c = 0; c < commands; ++c) schedule.push_back({c, i, true});
  }
  std::size_t first_measured = schedule.size();
  for (int i = 0; i < runs; ++i) {
    for (int c = 0; c < commands; ++c) schedule.push_back({c, i, false});
  }
  if (order == Order::Random) {
    // Fisher-Yates with our own index mapping: the same seed gives the same order everywhere.
    std::mt19937_64 rng(seed);
    // Counting down from size() (not size() - 1) so an empty schedule does not wrap.
    for (std::size_t i = schedule.size(); i-- > first_measured + 1;) {
      std::size_t span = i - first_measured + 1;
      std::size_t j = first_measured + static_cast<std::size_t>(rng() % span);
      std::swap(schedule[i], schedule[j]);
    }
    // Keep per-command indices in execution order.
    std::vector<int> next(commands, 0);
    for (std::size_t i = first_measured; i < schedule.size(); ++i) {
      schedule[i].index = next[schedule[i].command_index]++;
    }
  }
  return schedule;
}

}  // namespace coldbench::bench
