// hyperfine's export layouts (--export-json, --export-csv, --export-markdown
// there), so hyperfine's own scripts and whatever reads its files read ours.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "report/formats.hpp"
#include "report/markdown_text.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::report {
namespace {

// One command as hyperfine -i reports it: every measured run in "times" and
// "exit_codes", the two aligned, failed runs included, and the statistics over
// all of them; its scripts (advanced_statistics, plot_*, welch_ttest) rely on
// that. A run that never ended as a process (no exit code, no signal: the
// harness could not start it) has no time and is left out of both.
struct HyperfineResult {
  std::string command;
  std::vector<double> times, user, system;  // seconds
  nlohmann::json exit_codes = nlohmann::json::array();
  std::map<std::string, std::string> parameters;  // a parameter scan's values (the runs' labels)

  double mean() const { return times.empty() ? stats::kNaN : stats::mean(times); }
  double stddev() const { return times.size() >= 2 ? stats::stddev(times) : stats::kNaN; }
  double median() const { return times.empty() ? stats::kNaN : stats::median(times); }
  double min() const { return times.empty() ? stats::kNaN : *std::min_element(times.begin(), times.end()); }
  double max() const { return times.empty() ? stats::kNaN : *std::max_element(times.begin(), times.end()); }
  double user_mean() const { return user.empty() ? stats::kNaN : stats::mean(user); }
  double system_mean() const { return system.empty() ? stats::kNaN : stats::mean(system); }
};

std::vector<HyperfineResult> hyperfine_results(const ResultsDocument& document) {
  std::vector<HyperfineResult> results;
  for (int c = 0; c < static_cast<int>(document.commands.size()); ++c) {
    HyperfineResult result;
    result.command = document.commands[c].name;
    for (const auto& run : document.runs) {
      if (run.command_index != c || run.warmup) continue;
      if (!run.exit_code && !run.signal) continue;
      if (result.parameters.empty()) result.parameters = run.labels;
      result.exit_codes.push_back(run.exit_code ? nlohmann::json(*run.exit_code) : nlohmann::json(nullptr));
      result.times.push_back(run.wall_ms / 1e3);
      result.user.push_back(run.usage.user_ms / 1e3);
      result.system.push_back(run.usage.system_ms / 1e3);
    }
    results.push_back(std::move(result));
  }
  return results;
}

// CSV fields as hyperfine writes them: bare unless they hold a comma, quote or line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(double value) { return std::isfinite(value) ? fmt::format("{}", value) : std::string(); }

}  // namespace

std::optional<std::string> HyperfineReporter::render(const ResultsDocument& document,
                                                     const analysis::SessionSummary*) const {
  nlohmann::json results = nlohmann::json::array();
  for (const HyperfineResult& r : hyperfine_results(document)) {
    nlohmann::json entry = {{"command", r.command},
                            {"mean", finite_or_null(r.mean())},
                            {"stddev", finite_or_null(r.stddev())},
                            {"median", finite_or_null(r.median())},
                            {"user", finite_or_null(r.user_mean())},
                            {"system", finite_or_null(r.system_mean())},
                            {"min", finite_or_null(r.min())},
                            {"max", finite_or_null(r.max())},
                            {"times", r.times},
                            {"exit_codes", r.exit_codes}};
    // As hyperfine: present only for a parameter scan's commands.
    if (!r.parameters.empty()) entry["parameters"] = r.parameters;
    results.push_back(std::move(entry));
  }
  return json_text(nlohmann::json{{"results", results}}, 2) + "\n";
}

std::optional<std::string> HyperfineCsvReporter::render(const ResultsDocument& document,
                                                        const analysis::SessionSummary*) const {
  std::string out = "command,mean,stddev,median,user,system,min,max\n";
  for (const HyperfineResult& r : hyperfine_results(document)) {
    out += fmt::format("{},{},{},{},{},{},{},{}\n", csv_field(r.command), csv_number(r.mean()),
                       csv_number(r.stddev()), csv_number(r.median()), csv_number(r.user_mean()),
                       csv_number(r.system_mean()), csv_number(r.min()), csv_number(r.max()));
  }
  return out;
}

std::optional<std::string> HyperfineMarkdownReporter::render(const ResultsDocument& document,
                                                             const analysis::SessionSummary*) const {
  // hyperfine's table: mean ± standard deviation, min, max, and each mean relative to the fastest
  // with the standard deviation of that ratio (first-order propagation, as hyperfine computes it).
  const std::vector<HyperfineResult> results = hyperfine_results(document);
  double fastest = stats::kNaN, fastest_sd = stats::kNaN;
  for (const HyperfineResult& r : results) {
    if (!std::isfinite(r.mean())) continue;
    if (!std::isfinite(fastest) || r.mean() < fastest) {
      fastest = r.mean();
      fastest_sd = r.stddev();
    }
  }
  // hyperfine takes the unit from the first command's mean, unless -u fixed it.
  const bool seconds = time_unit_.empty()
                           ? !results.empty() && std::isfinite(results.front().mean()) &&
                                 results.front().mean() >= 1.0
                           : time_unit_ == "s";
  const std::string unit = time_unit_.empty() ? (seconds ? "s" : "ms") : time_unit_;
  const double scale = unit == "s" ? 1.0 : unit == "µs" ? 1e6 : 1e3;
  const int decimals = unit == "s" ? 3 : 1;
  auto number = [&](double seconds_value) {
    return std::isfinite(seconds_value) ? fmt::format("{:.{}f}", seconds_value * scale, decimals) : std::string("n/a");
  };
  std::string out = fmt::format("| Command | Mean [{0}] | Min [{0}] | Max [{0}] | Relative |\n|:---|---:|---:|---:|---:|\n",
                                unit);
  for (const HyperfineResult& r : results) {
    std::string mean = number(r.mean());
    if (std::isfinite(r.stddev())) mean += " ± " + number(r.stddev());
    std::string relative = "n/a";
    if (std::isfinite(r.mean()) && std::isfinite(fastest) && fastest > 0) {
      const double ratio = r.mean() / fastest;
      relative = fmt::format("{:.2f}", ratio);
      if (r.mean() != fastest && std::isfinite(r.stddev()) && std::isfinite(fastest_sd)) {
        const double sd = ratio * std::sqrt(std::pow(r.stddev() / r.mean(), 2) + std::pow(fastest_sd / fastest, 2));
        relative += fmt::format(" ± {:.2f}", sd);
      }
    }
    // The command in backticks, as hyperfine writes it; markdown_text keeps a name from adding columns.
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", markdown_text(r.command), mean, number(r.min()),
                       number(r.max()), relative);
  }
  return out;
}

}  // namespace coldbench::report
