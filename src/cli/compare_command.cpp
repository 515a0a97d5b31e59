// `coldbench compare BASE CURRENT`: the regression gate. Exit 0 when nothing
// regressed, 1 on a regression, 2 on bad input.

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "compare/gate.hpp"
#include "compare/gate_report.hpp"
#include "core/json_text.hpp"
#include "core/terminal_text.hpp"
#include "core/units.hpp"
#include "report/reporter.hpp"
#include "report/results_source.hpp"

namespace coldbench::cli {
namespace {

struct CompareArguments {
  std::string base;
  std::string current;
  std::string threshold = "5%";
  double alpha = 0.05;
  std::string correction = "holm";
  std::string markdown;
  std::string json;
  std::string db;
};

int compare(const CompareArguments& args) {
  compare::GateOptions options;
  auto threshold = parse_percentage(args.threshold);
  if (!threshold) return report_error("--threshold: " + threshold.error().message, kExitUsage);
  options.threshold = *threshold;
  if (!(args.alpha > 0 && args.alpha < 1))
    return report_error("--alpha must be between 0 and 1", kExitUsage);
  options.alpha = args.alpha;
  if (args.correction == "holm") {
    options.correction = compare::Correction::Holm;
  } else if (args.correction == "none") {
    options.correction = compare::Correction::None;
  } else {
    return report_error(fmt::format("--correction: '{}' is not holm or none", args.correction),
                        kExitUsage);
  }

  auto base = report::load_results(args.base, args.db);
  if (!base) return report_error("base: " + base.error().message, kExitUsage);
  auto current = report::load_results(args.current, args.db);
  if (!current) return report_error("current: " + current.error().message, kExitUsage);

  auto result = compare::compare_sessions(*base, *current, options);
  if (!result) return report_error(result.error().message, kExitUsage);

  const compare::GateSources sources{args.base, args.current};
  print_for_terminal(stdout, compare::render_gate_text(*result, sources));
  std::fflush(stdout);
  if (!args.markdown.empty()) {
    auto written = report::write_file_atomically(args.markdown,
                                                 compare::render_gate_markdown(*result, sources));
    if (!written) return report_error(written.error().message, kExitUsage);
    fmt::print(stderr, "wrote {}\n", args.markdown);
  }
  if (!args.json.empty()) {
    auto written =
        report::write_file_atomically(args.json, json_text(compare::to_json(*result, sources), 2) + "\n");
    if (!written) return report_error(written.error().message, kExitUsage);
    fmt::print(stderr, "wrote {}\n", args.json);
  }
  return result->regressed() ? kExitFailedRuns : kExitOk;
}

}  // namespace

Subcommand add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArguments>();
  CLI::App* sub = app.add_subcommand(
      "compare", "Regression gate: compare a session against a base, config by config");
  sub->footer(
      "BASE and CURRENT are results files (coldbench run --json, coldbench export) or history "
      "sessions;\n"
      "configs are matched by name. Per config it compares the wall time, every phase both report "
      "and the\n"
      "latency metric (each run's median), one value per successful run. A quantity is slower when "
      "the\n"
      "Mann-Whitney p (Holm-corrected over all comparisons) < alpha, the ratio of medians > 1 + "
      "threshold\n"
      "and its 95% bootstrap CI lies above 1. See docs/regression-gate.md.\n"
      "Exit status: 0 no regression, 1 regression (a slower quantity, or more failed runs), 2 bad "
      "input.");
  sub->add_option("base", args->base, "Base results file or history session (e.g. from main)")
      ->required();
  sub->add_option("current", args->current, "Current results file or history session (the change)")
      ->required();
  sub->add_option("--threshold", args->threshold,
                  "Smallest slowdown that counts, e.g. 5% (default 5%)");
  sub->add_option("--alpha", args->alpha, "Significance level (default 0.05)");
  sub->add_option("--correction", args->correction,
                  "Multiple-comparison correction of the p-values: holm (default) or none");
  sub->add_option("--markdown", args->markdown,
                  "Write the result as Markdown (a pull-request comment) to FILE");
  sub->add_option("--json", args->json, "Write the result as JSON to FILE");
  sub->add_option(
      "--db", args->db,
      "History database for session ids (default $COLDBENCH_DB or results/history.sqlite)");
  return Subcommand{sub, [args] { return compare(*args); }};
}

}  // namespace coldbench::cli
