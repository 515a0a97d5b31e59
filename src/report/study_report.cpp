#include "report/study_report.hpp"

#include <fmt/format.h>

#include "report/findings_text.hpp"
#include "report/markdown_text.hpp"
#include "report/table.hpp"
#include "report/text_format.hpp"

namespace coldbench::report {
namespace {

Table to_table(const StudyGrid& grid) {
  Table table(grid.header);
  for (const auto& row : grid.rows) table.add_row(row);
  return table;
}

}  // namespace

std::string describe_session(const ResultsDocument& document) {
  int measured = 0;
  for (const auto& run : document.runs) measured += run.warmup ? 0 : 1;
  std::string host = document.host.hostname.empty() ? "unknown host" : document.host.hostname;
  if (!document.host.cpu_model.empty()) host += " (" + document.host.cpu_model;
  if (document.host.online_cpus > 0) {
    host += fmt::format("{}{} CPUs", document.host.cpu_model.empty() ? " (" : ", ",
                        document.host.online_cpus);
  }
  if (host.find('(') != std::string::npos) host += ")";
  return fmt::format(
      "{} config{}, {} measured run{} on {}, started {}{}", document.commands.size(),
      document.commands.size() == 1 ? "" : "s", measured, measured == 1 ? "" : "s", host,
      document.started_at.empty() ? "?" : document.started_at,
      document.interrupted ? " (interrupted: covers the runs finished before it stopped)" : "");
}

std::vector<std::string> study_notes(const ResultsDocument& document, const analysis::SessionSummary& summary,
                                     const analysis::StudyTable& table) {
  std::vector<std::string> notes;
  for (const auto& row : table.rows) {
    if (!row.oversubscription) continue;
    const analysis::Oversubscription& o = *row.oversubscription;
    std::string evidence;
    if (o.throttled_periods && o.periods && *o.periods > 0) {
      evidence += fmt::format("throttled in {:.0f} % of CFS periods",
                              100.0 * *o.throttled_periods / *o.periods);
    }
    evidence += fmt::format("{}{:.0f} involuntary context switches per run",
                            evidence.empty() ? "" : ", ", o.involuntary_switches);
    notes.push_back(fmt::format(
        "'{}' is oversubscribed: {} compute threads on {} effective CPU{} ({})", row.config,
        o.compute_threads, o.effective_cpus, o.effective_cpus == 1 ? "" : "s", evidence));
  }
  for (const auto& command : summary.commands) {
    if (command.failed_runs == 0) continue;
    std::string first_error;
    for (const auto& f : command.failures) {
      if (!f.warmup) {
        first_error = f.error;
        break;
      }
    }
    notes.push_back(fmt::format("'{}': {} of {} measured runs failed{}", command.name,
                                command.failed_runs, command.measured_runs,
                                first_error.empty() ? "" : " (first: " + first_error + ")"));
  }
  for (const auto& command : summary.commands) {
    for (const auto& text : command.noise_warnings()) notes.push_back(fmt::format("'{}': {}", command.name, text));
  }
  auto adaptive = adaptive_lines(document, /*short_only=*/true);
  for (std::size_t k = 0; k < adaptive.size(); ++k) {
    notes.push_back(k == 0 ? adaptive[k] : adaptive[k].substr(adaptive[k].find_first_not_of(' ')));
  }
  if (document.interrupted)
    notes.push_back("the session was interrupted; rows cover the runs that finished");
  return notes;
}

std::optional<std::string> StudyReporter::render(const ResultsDocument& document,
                                                 const analysis::SessionSummary* summary) const {
  if (!summary) return std::nullopt;
  analysis::StudyTable table = analysis::build_study_table(document, *summary);
  auto notes = study_notes(document, *summary, table);
  std::string out;
  if (style_ == Style::Text) {
    out += describe_session(document) + "\n\n";
    if (auto found = findings_text(summary->findings); !found.empty()) out += found + "\n";
    out += "Setup\n" + to_table(setup_grid(table)).to_text_within(width_);
    out +=
        "\nResults (successful runs; phases and wall: median [CI] (its coverage); latency pooled over runs)\n";
    out += to_table(results_grid(table)).to_text_within(width_);
    if (!summary->comparisons.empty()) {
      out += "\n" + comparison_policy_line(*summary) + "\n";
      out += to_table(comparisons_grid(*summary)).to_text_within(width_);
    }
    if (!notes.empty()) out += "\n";
    for (const auto& note : notes) out += "  note: " + note + "\n";
    return out;
  }
  // Host facts and notes carry names and errors from users and workloads.
  out += "# coldbench study report\n\n" + markdown_text(describe_session(document)) + "\n\n";
  if (auto found = findings_markdown(summary->findings); !found.empty()) out += found + "\n";
  out += "## Setup\n\n" + to_table(setup_grid(table)).to_markdown();
  out +=
      "\n## Results\n\nSuccessful measured runs. Phases, time to first inference and wall: median "
      "[distribution-free CI] (its actual coverage); steady latency: pooled over runs, p95/p99 with an "
      "order-statistic CI or \"n too small\"; peak RSS, throttling: median per run.\n\n";
  out += to_table(results_grid(table)).to_markdown();
  if (!summary->comparisons.empty()) {
    out += "\n## Comparisons\n\n" + markdown_text(comparison_policy_line(*summary)) + "\n\n";
    out += to_table(comparisons_grid(*summary)).to_markdown();
  }
  if (!notes.empty()) out += "\n## Notes\n\n";
  for (const auto& note : notes) out += "- " + markdown_text(note) + "\n";
  return out;
}

}  // namespace coldbench::report
