// `coldbench report SESSION|FILE`: the study table (one row per config) on the
// console, and optionally as Markdown and as a self-contained HTML page.

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "report/console_color.hpp"
#include "core/terminal_text.hpp"
#include "report/html_report.hpp"
#include "report/results_source.hpp"
#include "report/study_report.hpp"
#include "analysis/summary.hpp"

namespace coldbench::cli {
namespace {

struct ReportArguments {
  std::string source;
  std::string markdown;
  std::string html;
  std::string db;
  bool quiet = false;
  bool wide = false;
};

Expected<int> report(const ReportArguments& args) {
  // The HTML page needs its scripts; find them before any work is done.
  std::unique_ptr<report::Reporter> html;
  if (!args.html.empty()) {
    auto reporter = report::make_html_reporter();
    if (!reporter)
      return reporter.error().with_context("--html");
    html = std::move(reporter).value();
  }
  auto document = report::load_results(args.source, args.db);
  if (!document) return document.error();
  bool any_measured = false;
  for (const auto& run : document->runs) any_measured = any_measured || !run.warmup;
  if (document->commands.empty() || !any_measured) {
    return Error{fmt::format("nothing to report: '{}' has no measured runs", args.source)};
  }

  const analysis::SessionSummary summary = analysis::summarize_session(*document);
  std::vector<std::pair<std::unique_ptr<report::Reporter>, std::string>> outputs;
  if (!args.markdown.empty()) {
    outputs.emplace_back(
        std::make_unique<report::StudyReporter>(report::StudyReporter::Style::Markdown),
        args.markdown);
  }
  if (html) outputs.emplace_back(std::move(html), args.html);

  if (!args.quiet) {
    auto text =
        report::StudyReporter(report::StudyReporter::Style::Text, args.wide ? 0 : report::StudyReporter::kPageWidth)
            .render(*document, &summary);
    if (text) report::print_summary_text(stdout, *text);
    std::fflush(stdout);
  }
  for (const auto& [reporter, path] : outputs) {
    auto content = reporter->render(*document, &summary);
    if (!content) continue;
    auto written = report::write_file_atomically(path, *content);
    if (!written) return written.error();
    fmt::print(stderr, "wrote {} ({})\n", path, reporter->format() == "html" ? "HTML" : "Markdown");
  }
  return kExitOk;
}

}  // namespace

Subcommand add_report_command(CLI::App& app) {
  auto args = std::make_shared<ReportArguments>();
  CLI::App* sub = app.add_subcommand(
      "report", "Study report: one row per config, as text, Markdown or an HTML page");
  sub->footer(
      "SOURCE is a results file (coldbench run --json FILE, coldbench export) or a history session "
      "id.\n"
      "Columns and charts: docs/reports.md. The HTML page is self-contained (Vega-Lite inlined) "
      "and opens\n"
      "offline; its scripts come from the npm packages installed by scripts/bootstrap (or "
      "$COLDBENCH_WEB_DIR).\n"
      "Exit status: 0 report written, 2 bad input (missing or invalid file, no runs, scripts not "
      "found).");
  sub->add_option("source", args->source, "Results file or history session id")->required();
  sub->add_option("--markdown", args->markdown, "Also write the report as Markdown to FILE");
  sub->add_option("--html", args->html,
                  "Also write a self-contained HTML page with charts to FILE");
  sub->add_option(
      "--db", args->db,
      "History database for session ids (default $COLDBENCH_DB or results/history.sqlite)");
  sub->add_flag("-q,--quiet", args->quiet, "Do not print the table");
  sub->add_flag("--wide", args->wide,
                "Print each table in one piece however wide (default: split to fit 100 columns, each part "
                "repeating the config column)");
  return Subcommand{sub, [args] { return report(*args); }};
}

}  // namespace coldbench::cli
