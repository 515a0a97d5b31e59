#include "stats/sequential.hpp"

#include <algorithm>
#include <cmath>

namespace coldbench::stats {

double pocock_spending(double alpha, double t) {
  t = std::clamp(t, 0.0, 1.0);
  return alpha * std::log1p((std::exp(1.0) - 1.0) * t);
}

double look_alpha(double alpha, int look, int looks) {
  if (looks < 1 || look < 1 || look > looks) return 0;
  const double before = pocock_spending(alpha, double(look - 1) / looks);
  const double after = pocock_spending(alpha, double(look) / looks);
  return after - before;
}

}  // namespace coldbench::stats
