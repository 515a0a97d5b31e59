#pragma once
// One JSON shape for an interval and a comparison, whoever shows it: the
// harness's summaries and gate (report/, compare/), serve's live A/B verdict
// and `coldbench load`'s A/B verdict.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "stats/comparison.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::stats {

// low, high, actual and requested coverage, exactness, n_needed.
nlohmann::json interval_json(const Interval& interval);
// Every field of a comparison: ratio and its interval, tests, effect sizes,
// p-values, MDE, runs needed, verdict.
nlohmann::json comparison_json(const Comparison& comparison);

// One line for an A/B verdict, the same from serve's /v1/ab and `coldbench
// load`: "B vs A (forward pass): slower, median ratio 9.81 [9.62, 10.05] (95%),
// Mann-Whitney p 1.2e-30, Cliff's delta 1.00, n 450 / 50".
std::string comparison_headline(const Comparison& comparison, std::string_view what);

}  // namespace coldbench::stats
