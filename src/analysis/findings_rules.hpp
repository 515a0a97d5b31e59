#pragma once
// The rules behind find_findings (findings.hpp), one function each; internal
// to analysis/. Contrast rules (two samples) live in findings.cpp, the rules
// over one config's runs (trends, modes, machine, memory) in
// findings_patterns.cpp.

#include <string>
#include <vector>

#include "analysis/findings.hpp"
#include "analysis/study.hpp"
#include "analysis/summary.hpp"

namespace coldbench::analysis::findings_detail {

// "1.53x", "+53%" and "45.6 ms" as the sentences write them.
std::string ratio_text(double ratio);
std::string percent_change(double ratio);
std::string interval_text(const stats::Interval& interval);  // "[1.40x, 1.70x] (95% CI)"

// The latency metric's per-iteration values, by run, for the trend rules.
void add_iteration_trends(std::vector<Finding>& out, const ResultsDocument& document, const SessionSummary& summary,
                          const FindingThresholds& thresholds);
// Wall time drifting with run order (the summary's Mann-Kendall) and two modes.
void add_run_patterns(std::vector<Finding>& out, const SessionSummary& summary, const FindingThresholds& thresholds);
// A busy machine (docs/machine-noise.md), quota throttling, memory near its limit.
void add_machine_findings(std::vector<Finding>& out, const SessionSummary& summary, const StudyTable& table,
                          const FindingThresholds& thresholds);

// Page cache: what cold starts read and from which files, against the disk's
// sequential floor; prefetch recovery; files eviction left resident (findings_cache.cpp).
void add_cache_findings(std::vector<Finding>& out, const SessionSummary& summary, const StudyTable& table);
// --attribute: each group of files' coldness against the all-warm runs, in the first phase.
void add_attribution_findings(std::vector<Finding>& out, const ResultsDocument& document,
                              const SessionSummary& summary);

}  // namespace coldbench::analysis::findings_detail
