#pragma once
// The session summary (analysis/summary.hpp) as JSON: the "summary" of a
// results file and `--export-json`; comparison_fields is shared with the gate's JSON.

#include <nlohmann/json.hpp>

#include "analysis/summary.hpp"
#include "stats/comparison.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::report {

nlohmann::json to_json(const stats::Summary& summary);
nlohmann::json to_json(const stats::Interval& interval);  // with its actual and requested coverage
// Every field of a comparison (ratio, CI, tests, MDE, runs needed, verdict), shared with the gate.
nlohmann::json comparison_fields(const stats::Comparison& comparison);
nlohmann::json to_json(const analysis::SessionSummary& summary);

}  // namespace coldbench::report
