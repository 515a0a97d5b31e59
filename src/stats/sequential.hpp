#pragma once
// Looking at a comparison after every run without inflating its error rates:
// alpha spending over a bounded number of looks. docs/statistics.md,
// "Adaptive stopping".
//
// A session that may stop at any of `looks` looks (one per round of runs,
// from --min-runs to --max-runs) decides at look k with the verdict rule of
// comparison.hpp at level look_alpha(k): the increment of a Lan-DeMets
// Pocock-type spending function, alpha * ln(1 + (e - 1) t) at t = k / looks.
// The increments sum to alpha, so by the union bound the chance of any false
// "slower"/"faster" (or false "equivalent") at any look is at most alpha,
// whatever the correlation between looks and whatever the test's
// distribution: no normality, no exact boundary computation.

namespace coldbench::stats {

// Alpha spent by information fraction t in [0, 1] (0 at 0, alpha at 1).
double pocock_spending(double alpha, double t);

// The level of look `look` (1-based) of `looks`: what the spending function
// adds there. 0 outside 1..looks.
double look_alpha(double alpha, int look, int looks);

}  // namespace coldbench::stats
