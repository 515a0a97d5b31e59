#pragma once
// What every reporter prints, computed once from the run records: per command
// the phase, wall, process-stat and metric summaries, outliers and failures;
// across commands the comparisons against the first (baseline) command.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/record.hpp"
#include "stats/comparison.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::report {

struct Outlier {
  int run_index = 0;
  double value = 0;
  double z = 0;
};

struct SampleSummary {
  std::string name;  // phase or quantity name
  std::string unit;
  stats::Summary summary;
  std::vector<double> values;  // per measured run (metrics: pooled values)
  std::vector<Outlier> outliers;
  int runs = 0;  // runs that contributed
};

struct FailureNote {
  int run_index = 0;
  bool warmup = false;
  std::string error;
  std::string output_tail;
};

struct CommandSummary {
  std::string name;
  std::string command_text;
  int measured_runs = 0;
  int succeeded_runs = 0;
  int failed_runs = 0;  // measured runs only
  int malformed_markers = 0;
  SampleSummary wall;
  std::vector<SampleSummary> phases;     // in the order the phases happen
  std::vector<SampleSummary> process;    // user_ms, system_ms, max_rss_kb, faults, switches
  std::vector<SampleSummary> metrics;    // pooled values across successful runs
  std::vector<SampleSummary> cgroup;     // throttling, memory peak (when limits were used)
  std::optional<SampleSummary> residency;  // tracked bytes resident before each run, percent
  std::map<std::string, nlohmann::json> info;  // from the latest successful run
  std::vector<FailureNote> failures;
};

struct QuantityComparison {
  std::string quantity;  // "wall" or a phase name
  stats::Comparison comparison;
};

struct CommandComparison {
  std::string baseline;
  std::string candidate;
  std::vector<QuantityComparison> quantities;
};

struct SessionSummary {
  std::vector<CommandSummary> commands;
  std::vector<CommandComparison> comparisons;  // each command vs the first
};

SessionSummary summarize_session(const ResultsDocument& document,
                                 const stats::ComparisonOptions& options = {});

nlohmann::json to_json(const stats::Summary& summary);
nlohmann::json to_json(const SessionSummary& summary);

}  // namespace coldbench::report
