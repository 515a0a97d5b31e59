#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "report/formats.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::report {

std::optional<std::string> HyperfineReporter::render(const ResultsDocument& document,
                                                     const analysis::SessionSummary*) const {
  // hyperfine -i lists every measured run in "times" and "exit_codes", the
  // two aligned, failed runs included, and computes its statistics over all of
  // them; its scripts (advanced_statistics, plot_*, welch_ttest) rely on that.
  // A run that never ended as a process (no exit code, no signal: the harness
  // could not start it) has no time and is left out of both.
  nlohmann::json results = nlohmann::json::array();
  for (int c = 0; c < static_cast<int>(document.commands.size()); ++c) {
    std::vector<double> times, user, system;
    nlohmann::json exit_codes = nlohmann::json::array();
    for (const auto& run : document.runs) {
      if (run.command_index != c || run.warmup) continue;
      if (!run.exit_code && !run.signal) continue;
      exit_codes.push_back(run.exit_code ? nlohmann::json(*run.exit_code)
                                         : nlohmann::json(nullptr));
      times.push_back(run.wall_ms / 1e3);
      user.push_back(run.usage.user_ms / 1e3);
      system.push_back(run.usage.system_ms / 1e3);
    }
    double sd = times.size() >= 2 ? stats::stddev(times) : stats::kNaN;
    results.push_back(
        {{"command", document.commands[c].name},
         {"mean", finite_or_null(times.empty() ? stats::kNaN : stats::mean(times))},
         {"stddev", finite_or_null(sd)},
         {"median", finite_or_null(times.empty() ? stats::kNaN : stats::median(times))},
         {"user", finite_or_null(user.empty() ? stats::kNaN : stats::mean(user))},
         {"system", finite_or_null(system.empty() ? stats::kNaN : stats::mean(system))},
         {"min", finite_or_null(times.empty() ? stats::kNaN
                                              : *std::min_element(times.begin(), times.end()))},
         {"max", finite_or_null(times.empty() ? stats::kNaN
                                              : *std::max_element(times.begin(), times.end()))},
         {"times", times},
         {"exit_codes", exit_codes}});
  }
  return json_text(nlohmann::json{{"results", results}}, 2) + "\n";
}

}  // namespace coldbench::report
