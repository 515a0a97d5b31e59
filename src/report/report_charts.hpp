#pragma once
// The HTML report's charts as Vega-Lite specifications with their data
// inline: stacked phase bars per config, latency distributions, the run-order
// plot (cold/warm drift) and the cold-start medians with their CIs.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "report/study_table.hpp"
#include "analysis/summary.hpp"

namespace coldbench::report {

struct ReportChart {
  std::string id;  // HTML element id, e.g. "chart-phases"
  std::string title;
  std::string caption;  // one sentence on how to read it
  nlohmann::json spec;  // Vega-Lite, data inline
};

struct ChartOptions {
  // Pooled latency values drawn per config; more are subsampled (evenly
  // spaced order statistics, so the distribution's shape is kept).
  std::size_t max_points_per_config = 2000;
};

std::vector<ReportChart> build_report_charts(const ResultsDocument& document,
                                             const analysis::SessionSummary& summary, const analysis::StudyTable& table,
                                             const ChartOptions& options = {});

// At most `max_points` values, sorted: the minimum, the maximum and evenly
// spaced order statistics in between.
std::vector<double> subsample_sorted(std::vector<double> values, std::size_t max_points);

}  // namespace coldbench::report
