#include "analysis/run_samples.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "stats/descriptive.hpp"

namespace coldbench::analysis {

CommandRuns command_runs(const ResultsDocument& document, int command_index) {
  CommandRuns runs;
  for (const auto& run : document.runs) {
    if (run.command_index != command_index || run.warmup) continue;
    runs.measured.push_back(&run);
    if (run.succeeded()) runs.ok.push_back(&run);
  }
  return runs;
}

std::vector<std::string> phase_order(const std::vector<const RunRecord*>& runs) {
  std::map<std::string, std::vector<double>> ends;
  for (const auto* run : runs) {
    for (const auto& p : run->phases) ends[p.name].push_back(p.end_ms);
  }
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [name, values] : ends) order.emplace_back(stats::median(values), name);
  std::sort(order.begin(), order.end());
  std::vector<std::string> names;
  for (auto& entry : order) names.push_back(std::move(entry.second));
  return names;
}

std::vector<std::string> phase_order(const ResultsDocument& document) {
  std::vector<const RunRecord*> ok;
  for (const auto& run : document.runs) {
    if (!run.warmup && run.succeeded()) ok.push_back(&run);
  }
  return phase_order(ok);
}

RunValues values_of(const std::vector<const RunRecord*>& runs, std::string name, std::string unit,
                    const RunValue& value) {
  RunValues out{std::move(name), std::move(unit), {}, {}};
  for (const auto* run : runs) {
    if (auto v = value(*run)) {
      out.values.push_back(*v);
      out.run_indices.push_back(run->index);
    }
  }
  return out;
}

RunValues wall_values(const std::vector<const RunRecord*>& runs) {
  return values_of(runs, "wall", "ms", [](const RunRecord& r) { return r.wall_ms; });
}

std::vector<RunValues> phase_values(const std::vector<const RunRecord*>& runs) {
  std::vector<RunValues> out;
  for (const auto& name : phase_order(runs)) {
    // A run's first phase of that name: the recorder keeps the first of a repeated marker.
    out.push_back(values_of(runs, name, "ms", [&name](const RunRecord& r) -> std::optional<double> {
      if (const auto* p = r.phase(name)) return p->duration_ms;
      return std::nullopt;
    }));
  }
  return out;
}

RunValues metric_run_medians(const std::vector<const RunRecord*>& runs, const std::string& name) {
  RunValues out{name, "ms", {}, {}};
  for (const auto* run : runs) {
    if (const auto* m = run->metric(name); m && !m->values.empty()) {
      out.values.push_back(stats::median(m->values));
      out.run_indices.push_back(run->index);
      if (!m->unit.empty()) out.unit = m->unit;
    }
  }
  return out;
}

}  // namespace coldbench::analysis
