#include "bench/schedule.hpp"

#include <charconv>
#include <limits>
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

Expected<int64_t> check_session_size(int64_t commands, int64_t runs, int64_t warmup, std::string_view what) {
  if (runs < 1 || runs > kMaxRunsPerCommand) {
    return make_error("runs = {}: give 1 to {} runs per command (the same cap as 'runs' in an experiment file); "
                      "split a longer study into several sessions",
                      runs, kMaxRunsPerCommand);
  }
  if (warmup < 0 || warmup > kMaxRunsPerCommand) {
    return make_error("warmup = {}: give 0 to {} warmup runs per command (the same cap as 'warmup' in an "
                      "experiment file)",
                      warmup, kMaxRunsPerCommand);
  }
  // Both factors are bounded above, so the product cannot overflow.
  const int64_t total = commands * (runs + warmup);
  if (total > kMaxSessionRuns) {
    return make_error("{} {} x ({} runs + {} warmup) = {} runs, more than the {} runs one session may hold; "
                      "use fewer runs or {}, or split the study into several sessions",
                      commands, what, runs, warmup, total, kMaxSessionRuns, what);
  }
  return total;
}

Expected<uint64_t> check_seed(int64_t value) {
  if (value < 0) return make_error("seed {} is negative: give an integer from 0 to {}", value,
                                   std::numeric_limits<int64_t>::max());
  return static_cast<uint64_t>(value);
}

Expected<uint64_t> parse_seed(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return make_error("seed '{}' is not an integer from 0 to {}", text, std::numeric_limits<int64_t>::max());
  }
  return check_seed(value);
}

std::vector<ScheduledRun> build_schedule(int commands, int runs, int warmup, Order order, uint64_t seed) {
  std::vector<ScheduledRun> schedule;
  if (commands > 0 && runs >= 0 && warmup >= 0) {
    schedule.reserve(static_cast<std::size_t>(commands) * static_cast<std::size_t>(runs + warmup));
  }
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
