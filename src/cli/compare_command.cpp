// `coldbench compare BASE CURRENT`: the regression gate. Exit 0 when every
// quantity is shown faster or equivalent, 1 on a regression, 2 on bad input,
// 3 when it cannot decide (too few runs for the spread).

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "report/console_color.hpp"
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
  std::string threshold;  // empty: the policy's default (stats/policy.hpp)
  std::optional<double> alpha;
  std::string correction;
  std::string markdown;
  std::string json;
  std::string db;
};

Expected<int> compare(const CompareArguments& args) {
  auto policy = comparison_policy(args.threshold, args.alpha, args.correction);
  if (!policy) return policy.error();
  const compare::GateOptions& options = *policy;

  auto base = report::load_results(args.base, args.db);
  if (!base) return base.error().with_context("base");
  auto current = report::load_results(args.current, args.db);
  if (!current) return current.error().with_context("current");

  auto result = compare::compare_sessions(*base, *current, options);
  if (!result) return result.error();

  const compare::GateSources sources{args.base, args.current};
  report::print_summary_text(stdout, compare::render_gate_text(*result, sources));
  std::fflush(stdout);
  if (!args.markdown.empty()) {
    auto written = report::write_file_atomically(args.markdown,
                                                 compare::render_gate_markdown(*result, sources));
    if (!written) return written.error();
    fmt::print(stderr, "wrote {}\n", args.markdown);
  }
  if (!args.json.empty()) {
    auto written =
        report::write_file_atomically(args.json, json_text(compare::to_json(*result, sources), 2) + "\n");
    if (!written) return written.error();
    fmt::print(stderr, "wrote {}\n", args.json);
  }
  if (result->regressed()) return kExitFailedRuns;
  return result->passed() ? kExitOk : kExitInconclusive;
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
      "Mann-Whitney p (Holm-corrected over all comparisons) < alpha and the ratio of medians > 1 + "
      "threshold;\n"
      "equivalent when TOST shows it within the threshold; otherwise inconclusive, with the runs "
      "needed.\n"
      "The same policy as 'run' (docs/statistics.md, docs/regression-gate.md).\n"
      "Exit status: 0 every quantity shown faster or equivalent, 1 regression (a slower quantity, or "
      "more\n"
      "failed runs), 2 bad input, 3 inconclusive: no regression shown, but too few runs to decide "
      "(never 0).");
  sub->add_option("base", args->base, "Base results file or history session (e.g. from main)")
      ->required();
  sub->add_option("current", args->current, "Current results file or history session (the change)")
      ->required();
  add_policy_options(*sub, args->threshold, args->alpha, args->correction);
  sub->add_option("--markdown", args->markdown,
                  "Write the result as Markdown (a pull-request comment) to FILE");
  sub->add_option("--json", args->json, "Write the result as JSON to FILE");
  sub->add_option(
      "--db", args->db,
      "History database for session ids (default $COLDBENCH_DB or results/history.sqlite)");
  return Subcommand{sub, [args] { return compare(*args); }};
}

}  // namespace coldbench::cli
