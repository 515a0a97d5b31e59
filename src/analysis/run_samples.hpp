#pragma once
// The runs of a command as every summary and the gate take them (measured
// runs, successful ones), the order phases happen in, and one value per run
// for a quantity. Collected once here; summary.hpp, study.hpp and the gate
// (compare/gate.hpp) all build on these.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/record.hpp"

namespace coldbench::analysis {

// One command's runs, in document order.
struct CommandRuns {
  std::vector<const RunRecord*> measured;  // not warmups
  std::vector<const RunRecord*> ok;        // measured and succeeded
  int failed() const { return static_cast<int>(measured.size() - ok.size()); }
};

CommandRuns command_runs(const ResultsDocument& document, int command_index);

// Phase names in the order they happen: by median end time over `runs`.
std::vector<std::string> phase_order(const std::vector<const RunRecord*>& runs);
// The same over every successful measured run of every command (the study
// table's columns, one order for all configs).
std::vector<std::string> phase_order(const ResultsDocument& document);

// A quantity's values, one per run that has it, with those runs' indices.
struct RunValues {
  std::string name;
  std::string unit;
  std::vector<double> values;
  std::vector<int> run_indices;
};

using RunValue = std::function<std::optional<double>(const RunRecord&)>;

RunValues values_of(const std::vector<const RunRecord*>& runs, std::string name, std::string unit,
                    const RunValue& value);

RunValues wall_values(const std::vector<const RunRecord*>& runs);  // "wall", ms
// Every phase's durations (ms), in phase_order(runs).
std::vector<RunValues> phase_values(const std::vector<const RunRecord*>& runs);
// The median of each run's values of metric `name` (a run is the independent
// unit; its iterations are not). The unit is the last one a run gave, else "ms".
RunValues metric_run_medians(const std::vector<const RunRecord*>& runs, const std::string& name);

}  // namespace coldbench::analysis
