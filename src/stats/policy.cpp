#include "stats/policy.hpp"

#include <algorithm>
#include <numeric>

namespace coldbench::stats {

std::vector<double> holm_adjust(std::span<const double> p_values) {
  const std::size_t m = p_values.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(m, 1.0);
  double running = 0;
  for (std::size_t rank = 0; rank < m; ++rank) {
    double p = std::min(1.0, double(m - rank) * p_values[order[rank]]);
    running = std::max(running, p);  // step-down: never below an earlier (smaller) one
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

std::vector<double> adjust(std::span<const double> p_values, Correction correction) {
  if (correction == Correction::Holm) return holm_adjust(p_values);
  return {p_values.begin(), p_values.end()};
}

std::string_view to_string(Correction correction) {
  return correction == Correction::Holm ? "holm" : "none";
}

}  // namespace coldbench::stats
