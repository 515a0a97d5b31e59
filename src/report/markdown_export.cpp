#include <fmt/format.h>

#include "report/findings_text.hpp"
#include "report/formats.hpp"
#include "report/markdown_text.hpp"
#include "report/table.hpp"
#include "report/text_format.hpp"

namespace coldbench::report {

std::optional<std::string> MarkdownReporter::render(const ResultsDocument& document,
                                                    const analysis::SessionSummary* summary) const {
  if (!summary) return std::nullopt;
  // Names, commands, host facts and errors come from users, workloads and
  // results files: all of it goes through markdown_text (tables do it per cell).
  const auto md = [](std::string_view text) { return markdown_text(text); };
  std::string out = "# coldbench results\n\n";
  out += fmt::format(
      "{} on {} ({}, {} CPUs), started {}{}\n\n",
      md(document.tool_version.empty() ? "coldbench" : "coldbench " + document.tool_version),
      md(document.host.hostname), md(document.host.cpu_model), document.host.online_cpus,
      md(document.started_at), document.interrupted ? " (interrupted)" : "");

  if (auto found = findings_markdown(summary->findings); !found.empty()) out += found + "\n";
  Table overview({"Command", "Runs ok/total", "Wall median [CI] (coverage)", "Min", "Max", "Relative"});
  double fastest = 0;
  for (const auto& c : summary->commands) {
    double m = c.wall.summary.median;
    if (std::isfinite(m) && (fastest == 0 || m < fastest)) fastest = m;
  }
  for (const auto& c : summary->commands) {
    double m = c.wall.summary.median;
    overview.add_row(
        {c.name, fmt::format("{}/{}", c.succeeded_runs, c.measured_runs), format_median_ci(c.wall),
         format_value(c.wall.summary.min, "ms"), format_value(c.wall.summary.max, "ms"),
         std::isfinite(m) && fastest > 0 ? fmt::format("{:.2f}", m / fastest) : "n/a"});
  }
  out += overview.to_markdown();

  for (const auto& c : summary->commands) {
    out += fmt::format("\n## {}\n\n", md(c.name));
    if (c.command_text != c.name) out += fmt::format("Command: {}\n\n", md(c.command_text));
    if (!c.phases.empty()) {
      Table phases({"Phase", "Median [CI] (coverage)", "Min", "Max"});
      for (const auto& p : c.phases) {
        phases.add_row({p.name, format_median_ci(p), format_value(p.summary.min, p.unit),
                        format_value(p.summary.max, p.unit)});
      }
      out += phases.to_markdown() + "\n";
    }
    if (!c.metrics.empty()) {
      Table metrics({"Metric", "Values", "p50", "p95", "p99"});
      for (const auto& m : c.metrics) {
        metrics.add_row({m.name, fmt::format("{}", m.summary.n), format_value(m.summary.median, m.unit),
                         format_tail(m.summary, 0.95, m.unit), format_tail(m.summary, 0.99, m.unit)});
      }
      out += metrics.to_markdown() + "\n";
    }
    for (const auto& f : c.failures)
      out += fmt::format("- failed {} {}: {}\n", f.warmup ? "warmup" : "run", f.run_index + 1, md(f.error));
  }

  if (auto lines = adaptive_lines(document); !lines.empty()) {
    out += "\n";
    for (const auto& line : lines) {
      out += line.starts_with("  ") ? "  - " + md(line.substr(2)) + "\n" : "- " + md(line) + "\n";
    }
  }
  if (!summary->comparisons.empty()) out += "\n" + md(comparison_policy_line(*summary)) + "\n";
  for (const auto& cmp : summary->comparisons) {
    out += fmt::format("\n## {} vs {}\n\n", md(cmp.candidate), md(cmp.baseline));
    Table table({"Quantity", "Ratio [CI] (coverage)", p_header(summary->policy), "p (Welch)", "Detects", "Verdict"});
    for (const auto& q : cmp.quantities) {
      table.add_row({q.quantity, format_ratio_ci(q.comparison), format_p(q.comparison.p_adjusted),
                     format_p(q.comparison.welch.p_value), format_mde(q.comparison), format_verdict(q.comparison)});
    }
    out += table.to_markdown();
  }
  return out;
}

}  // namespace coldbench::report
