// `coldbench run`: repeat one or more commands in fresh processes and report
// phase timings, process stats, statistics and comparisons.

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "bench/runner.hpp"
#include "cli/commands.hpp"
#include "cli/run_option_groups.hpp"
#include "core/env_var.hpp"
#include "core/shell_words.hpp"
#include "core/terminal_text.hpp"
#include "core/units.hpp"
#include "core/utf8.hpp"
#include "proc/spawn.hpp"
#include "report/console_color.hpp"
#include "report/formats.hpp"
#include "report/progress.hpp"
#include "analysis/summary.hpp"
#include "report/reporter.hpp"
#include "setup/run_setup.hpp"

namespace coldbench::cli {
namespace {

struct RunArguments {
  std::string runs = "10";  // a count, or "auto"
  bench::AdaptiveSettings adaptive;
  int warmup = 0;
  std::string order = "interleaved";
  std::string seed = "1";
  std::string timeout;
  bool ignore_failure = false;
  std::vector<std::string> env;
  bool env_clear = false;
  std::string cwd;
  bool show_output = false;
  bool shell = false;
  bool no_markers = false;
  bool loader_stats = false;
  bool no_progress = false;
  bool gate = false;
  std::vector<std::string> phase_rules;
  std::vector<std::string> metric_rules;
  std::vector<std::string> named_commands;
  std::string name;
  std::vector<std::string> command_words;
  std::string json, csv, markdown, hyperfine, hyperfine_csv, hyperfine_markdown;
  std::string threshold;  // empty: the comparison policy's defaults (stats/policy.hpp)
  std::optional<double> alpha;
  std::string correction;
};

// "NAME=CMD" split at the first '=', NAME of [A-Za-z0-9_.:+-]; nullopt when it is not that.
// (Plain code, not std::regex: its matcher recurses per character of a long command.)
std::optional<std::pair<std::string, std::string>> split_named_command(const std::string& spec) {
  auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) return std::nullopt;
  for (std::size_t i = 0; i < eq; ++i) {
    const char c = spec[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("_.:+-").find(c) == std::string_view::npos) {
      return std::nullopt;
    }
  }
  return std::pair{spec.substr(0, eq), spec.substr(eq + 1)};
}

Expected<std::vector<CommandSpec>> build_commands(const RunArguments& args) {
  std::vector<CommandSpec> commands;
  for (const auto& spec : args.named_commands) {
    auto named = split_named_command(spec);
    if (!named) {
      return make_error("-c '{}': expected NAME=CMD with NAME of letters, digits and _.:+-, e.g. -c 'eager=python3 "
                        "bench.py --mode eager'",
                        escape_invalid_utf8(spec));
    }
    for (const auto& existing : commands) {
      if (existing.name == named->first) return make_error("-c: the name '{}' is used twice", existing.name);
    }
    auto command = bench::make_command(named->first, named->second, args.shell);
    if (!command) return command.error();
    commands.push_back(std::move(command).value());
  }
  // Names are stored as text; a command line may hold any bytes (it is recorded with U+FFFD for those).
  if (!is_valid_utf8(args.name)) {
    return make_error("--name '{}': not valid UTF-8; give the name in UTF-8 (or ASCII)", escape_invalid_utf8(args.name));
  }
  if (!args.command_words.empty()) {
    std::string text;
    for (const auto& word : args.command_words) text += (text.empty() ? "" : " ") + quote_shell_word(word);
    if (args.shell && args.command_words.size() == 1) text = args.command_words[0];
    // A name derived from the command line is text, like the record's copy of it (U+FFFD for bytes that
    // are not UTF-8), so every message and table shows the same name; the argv keeps its bytes.
    auto command = bench::make_command(args.name.empty() ? replace_invalid_utf8(text) : args.name, text, args.shell);
    if (!command) return command.error();
    if (!args.shell) command->argv = args.command_words;  // exactly as given, no re-splitting
    commands.push_back(std::move(command).value());
  }
  if (commands.empty()) {
    return make_error("no command to run: give one after --, or several with -c NAME=CMD (see --help)");
  }
  return commands;
}

// "--runs auto" with its settings, or a count with none of them.
Expected<void> set_runs(const RunArguments& args, std::size_t commands, const stats::ComparisonPolicy& policy,
                        bench::SessionOptions& options) {
  const bool tuned = !args.adaptive.target_ci.empty() || args.adaptive.min_runs || args.adaptive.max_runs ||
                     !args.adaptive.max_time.empty();
  if (args.runs == "auto") {
    auto adaptive = bench::make_adaptive_options(args.adaptive, true);
    if (!adaptive) return adaptive.error();
    adaptive->policy = policy;
    options.adaptive = std::move(adaptive).value();
    options.stop_rule = commands > 1 ? bench::StopRule::Comparison : bench::StopRule::Precision;
    return {};
  }
  if (tuned) {
    return make_error("--target-ci, --min-runs, --max-runs and --max-time go with --runs auto; give --runs auto, "
                      "or drop them for a fixed --runs {}",
                      args.runs);
  }
  int64_t runs = 0;
  const auto [end, ec] = std::from_chars(args.runs.data(), args.runs.data() + args.runs.size(), runs);
  if (ec != std::errc() || end != args.runs.data() + args.runs.size()) {
    return make_error("--runs '{}': give a number of runs (1 to {}) or auto", escape_invalid_utf8(args.runs),
                      bench::kMaxRunsPerCommand);
  }
  if (runs < 1 || runs > bench::kMaxRunsPerCommand) {
    return make_error("--runs {}: give 1 to {} runs per command (the same cap as 'runs' in an experiment file); "
                      "split a longer study into several sessions",
                      runs, bench::kMaxRunsPerCommand);
  }
  options.runs = static_cast<int>(runs);
  return {};
}

Expected<bench::SessionOptions> build_options(const RunArguments& args, std::size_t commands,
                                              const stats::ComparisonPolicy& policy) {
  bench::SessionOptions options;
  if (auto runs = set_runs(args, commands, policy, options); !runs) return runs.error();
  if (args.warmup < 0 || args.warmup > bench::kMaxRunsPerCommand) {
    return make_error("--warmup {}: give 0 to {} warmup runs per command (the same cap as 'warmup' in an "
                      "experiment file)",
                      args.warmup, bench::kMaxRunsPerCommand);
  }
  options.warmup = args.warmup;
  auto order = bench::parse_order(args.order);
  if (!order) return order.error().with_context("--order");
  options.order = *order;
  auto seed = bench::parse_seed(args.seed);
  if (!seed) return seed.error().with_context("--seed");
  options.seed = *seed;
  if (!args.timeout.empty()) {
    auto timeout = parse_duration_seconds(args.timeout);
    if (!timeout) return timeout.error().with_context("--timeout");
    options.timeout_s = *timeout;
  }
  options.ignore_failure = args.ignore_failure;
  for (const auto& kv : args.env) {
    auto entry = split_env_entry(kv);
    if (!entry) return make_error("--env '{}': expected KEY=VALUE, e.g. --env OMP_NUM_THREADS=2", kv);
    if (auto valid = check_env_var(entry->name, entry->value); !valid) {
      return valid.error().with_context(fmt::format("--env '{}'", kv));
    }
    options.env.emplace_back(entry->name, entry->value);
  }
  options.env_clear = args.env_clear;
  options.cwd = args.cwd;  // checked by the session (inside a container it names the image's directory)
  options.show_output = args.show_output;
  options.markers = !args.no_markers;
  for (const auto& spec : args.phase_rules) {
    auto rule = markers::parse_rule(markers::RuleKind::Phase, spec);
    if (!rule) return rule.error();
    options.rules.push_back(std::move(rule).value());
  }
  for (const auto& spec : args.metric_rules) {
    auto rule = markers::parse_rule(markers::RuleKind::Metric, spec);
    if (!rule) return rule.error();
    options.rules.push_back(std::move(rule).value());
  }
  return options;
}

nlohmann::json options_json(const RunArguments& args, const bench::SessionOptions& options) {
  return {{"runs", options.adaptive ? nlohmann::json("auto") : nlohmann::json(options.runs)},
          {"warmup", args.warmup},
          {"order", args.order},
          {"seed", options.seed},
          {"timeout", args.timeout},
          {"ignore_failure", args.ignore_failure},
          {"env", args.env},
          {"env_clear", args.env_clear},
          {"cwd", args.cwd},
          {"shell", args.shell},
          {"markers", !args.no_markers},
          {"loader_stats", args.loader_stats},
          {"phase_rules", args.phase_rules},
          {"metric_rules", args.metric_rules}};
}

Expected<int> run(const RunArguments& args, const std::vector<std::unique_ptr<RunOptionGroup>>& groups) {
  auto commands = build_commands(args);
  if (!commands) return commands.error();
  auto policy = comparison_policy(args.threshold, args.alpha, args.correction);
  if (!policy) return policy.error();
  if (args.gate && commands->size() < 2) {
    return Error{"--gate compares commands with the first: give a baseline and a candidate, e.g. "
                 "-c base=./old -c new=./new"};
  }
  auto options = build_options(args, commands->size(), *policy);
  if (!options) return options.error();
  // --runs auto with several commands: stop when the verdicts this command prints are conclusive.
  options->conclusive = [policy = *policy](const ResultsDocument& document, double alpha) {
    stats::ComparisonPolicy at_look = policy;
    at_look.alpha = alpha;
    return analysis::wall_comparisons_conclusive(analysis::summarize_session_at(document, at_look, /*power=*/false));
  };
  report::SummaryCache summaries(*policy);

  std::vector<std::unique_ptr<report::FileExport>> exports;
  for (auto [format, path] : {std::pair{"json", &args.json}, std::pair{"csv", &args.csv},
                              std::pair{"markdown", &args.markdown}, std::pair{"hyperfine", &args.hyperfine},
                              std::pair{"hyperfine-csv", &args.hyperfine_csv},
                              std::pair{"hyperfine-markdown", &args.hyperfine_markdown}}) {
    if (path->empty()) continue;
    exports.push_back(std::make_unique<report::FileExport>(report::make_reporter(format), *path, summaries));
  }

  ResultsDocument document;
  document.options = options_json(args, *options);
  setup::RunSetup run_setup;
  run_setup.env = options->env;
  run_setup.markers = options->markers;
  run_setup.loader_stats = args.loader_stats;
  run_setup.cwd = setup::current_directory();
  for (const auto& group : groups) {
    auto applied = group->apply(*options, run_setup);
    if (!applied) return applied.error();
  }
  auto hooks = setup::make_run_hooks(run_setup, print_notice);
  if (!hooks) return hooks.error();
  for (const auto& note : hooks->notes) print_notice("note: " + note);
  for (const auto& group : groups) group->describe(run_setup, *hooks, document.options);
  // The program and --cwd are inside the image.
  if (isolate::is_container_engine(run_setup.isolation.mode)) options->resolve_programs = false;

  bench::Session session(std::move(commands).value(), std::move(options).value());
  for (auto* hook : hooks->in_order()) session.add_hook(hook);
  for (auto& e : exports) session.add_sink(e.get());
  report::ProgressDisplay progress(stderr, isatty(STDERR_FILENO) != 0);
  if (!args.no_progress) session.set_progress(&progress);

  proc::install_interrupt_handler();
  auto outcome = session.run(document);
  if (!outcome) return outcome.error();

  auto text = report::ConsoleReporter().render(document, &summaries.get(document));
  if (text) report::print_summary_text(stdout, *text);
  for (const auto& e : exports) fmt::print(stderr, "wrote {}\n", e->path());
  std::fflush(stdout);

  if (outcome->interrupted) return kExitInterrupted;
  if (outcome->failed_runs > 0) return kExitFailedRuns;
  if (args.gate) {
    // compare's exit codes over this session's comparisons (docs/regression-gate.md).
    bool slower = false, undecided = false;
    for (const auto& comparison : summaries.get(document).comparisons) {
      if (comparison.quantities.empty()) undecided = true;
      for (const auto& q : comparison.quantities) {
        slower = slower || q.comparison.verdict == stats::Verdict::Slower;
        undecided = undecided || q.comparison.verdict == stats::Verdict::Inconclusive;
      }
    }
    if (slower) {
      fmt::print(stderr, "gate: REGRESSION: a command is slower than '{}' beyond the threshold\n",
                 terminal_safe(document.commands.front().name));
      return kExitFailedRuns;
    }
    if (undecided) {
      fmt::print(stderr, "gate: INCONCLUSIVE: no regression shown, but not every quantity was decided{}\n",
                 args.runs == "auto" ? " before the session stopped" : "; --runs auto runs until it can decide");
      return kExitInconclusive;
    }
    fmt::print(stderr, "gate: OK: every quantity faster or equivalent within the threshold\n");
  }
  return kExitOk;
}

}  // namespace

Subcommand add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArguments>();
  CLI::App* sub = app.add_subcommand("run", "Run commands repeatedly in fresh processes and report phase timings");

  sub->footer(
      "Usage: coldbench run [OPTIONS] -- CMD [ARGS...]\n"
      "       coldbench run [OPTIONS] -c NAME=CMD [-c NAME=CMD ...]\n\n"
      "Workloads report phases through the marker protocol (COLDBENCH_FD, docs/marker-protocol.md);\n"
      "unmodified programs can be timed with --phase/--metric regexes on their output, in RE2 syntax\n"
      "(https://github.com/google/re2/wiki/Syntax; no backreferences or lookaround, linear-time matching).\n"
      "Names (--name, -c NAME=, --phase/--metric NAME=) must be UTF-8; output and command lines that are not\n"
      "are recorded with U+FFFD for each invalid byte sequence (docs/result-schema.md).\n"
      "Every run records the machine around it (load average, other processes' CPU, steal, iowait, CPU\n"
      "frequency); a busy machine or wall times that drift with run order get a warning (docs/machine-noise.md).\n"
      "With several commands, each is compared with the first: faster / slower / equivalent within the\n"
      "threshold / inconclusive (with the runs needed), the same policy as 'compare' (docs/statistics.md).\n"
      "--runs auto runs in rounds and looks after each: one command stops when its median is known to\n"
      "--target-ci; several commands stop together when every comparison with the first is conclusive,\n"
      "decided at an alpha-spending share of --alpha so that looking after every round keeps the false-alarm\n"
      "rate at --alpha (docs/statistics.md, \"Adaptive stopping\"). The summary says how many runs each used and why\n"
      "it stopped.\n"
      "Exit status: 0 all runs succeeded, 1 some run failed (or, with --gate, a regression), 2 bad usage or a\n"
      "command that cannot start, 3 with --gate: a comparison undecided,\n"
      "130 interrupted (the results measured so far are written).");

  sub->add_option("-n,--runs", args->runs,
                  "Measured runs per command, 1 to 1000000 (default 10), or auto: run until the answer is known "
                  "(--target-ci; with several commands, until every comparison is conclusive)");
  const bench::AdaptiveOptions adaptive_defaults;
  sub->add_option("--target-ci", args->adaptive.target_ci,
                  fmt::format("With --runs auto: stop a command once its median's 95% interval is within +-PCT "
                              "(default {:g}%)",
                              adaptive_defaults.target_ci * 100));
  sub->add_option("--min-runs", args->adaptive.min_runs,
                  fmt::format("With --runs auto: runs per command before the first look (default {})",
                              adaptive_defaults.min_runs));
  sub->add_option("--max-runs", args->adaptive.max_runs,
                  fmt::format("With --runs auto: the most runs per command (default {})", adaptive_defaults.max_runs));
  sub->add_option("--max-time", args->adaptive.max_time,
                  "With --runs auto: stop after this long (e.g. 10m), whatever the target");
  sub->add_option("-w,--warmup", args->warmup, "Warmup runs per command, not counted, up to 1000000 (default 0)");
  sub->add_option("--order", args->order, "interleaved (A B A B, default), sequential or random");
  sub->add_option("--seed", args->seed, "Seed for --order random, 0 to 2^63-1 (default 1)");
  sub->add_option("--timeout", args->timeout, "Per-run time limit, e.g. 30 or 500ms; kills the process group");
  sub->add_flag("-i,--ignore-failure", args->ignore_failure,
                "Count non-zero exit codes as successful runs (crashes and timeouts still fail)");
  sub->add_option("-c,--command", args->named_commands, "A named command NAME=CMD (repeatable)")
      ->allow_extra_args(false);
  sub->add_option("--name", args->name, "Name for the command given after --");
  sub->add_flag("--shell", args->shell, "Run commands through /bin/sh -c instead of splitting them into words");
  sub->add_option("--env", args->env, "Set KEY=VALUE in the workload's environment (repeatable)")
      ->allow_extra_args(false);
  sub->add_flag("--env-clear", args->env_clear, "Start the workload with an empty environment (plus --env)");
  sub->add_option("--cwd", args->cwd, "Working directory of the workload");
  sub->add_flag("--show-output", args->show_output, "Show the workload's output (otherwise captured)");
  sub->add_option("--phase", args->phase_rules, "NAME=REGEX: phase ends at the first output line matching REGEX (RE2 syntax)")
      ->allow_extra_args(false);
  sub->add_option("--metric", args->metric_rules, "NAME=REGEX: first capture group of each matching line is a value (RE2 syntax)")
      ->allow_extra_args(false);
  sub->add_flag("--no-markers", args->no_markers, "Do not give workloads a marker fd (COLDBENCH_FD)");
  sub->add_flag("--loader-stats", args->loader_stats,
                "Record the dynamic loader's own work per run (glibc LD_DEBUG=statistics,files): shared objects "
                "mapped, start-up time in the loader and its relocations, as run info loader.* (host runs)");
  sub->add_flag("--no-progress", args->no_progress, "No progress bar or progress lines on stderr");
  sub->add_flag("--gate", args->gate,
                "Exit like 'compare': 1 when a command is slower than the first beyond the threshold, 3 when some "
                "quantity is undecided, 0 when all are faster or equivalent (with --runs auto: run until decided)");
  sub->add_option("--json", args->json, "Write all results (schema coldbench/1) to FILE, updated after each run");
  sub->add_option("--csv", args->csv, "Write one row per run to FILE, updated after each run");
  sub->add_option("--markdown", args->markdown, "Write the summary tables to FILE");
  // hyperfine's export names mean what they mean there: its layouts, read by its scripts.
  sub->add_option("--export-json,--export-hyperfine", args->hyperfine,
                  "Write hyperfine's JSON layout to FILE (hyperfine's --export-json; coldbench's own is --json)");
  sub->add_option("--export-csv", args->hyperfine_csv,
                  "Write hyperfine's CSV layout (one row per command) to FILE (coldbench's own, a row per run, is --csv)");
  sub->add_option("--export-markdown", args->hyperfine_markdown,
                  "Write hyperfine's Markdown table to FILE (coldbench's own tables: --markdown)");
  add_policy_options(*sub, args->threshold, args->alpha, args->correction);
  auto groups = std::make_shared<std::vector<std::unique_ptr<RunOptionGroup>>>(make_run_option_groups());
  for (auto& group : *groups) group->add_options(*sub);

  return Subcommand{sub,
                    [args, groups] {
                      args->command_words = trailing_command();
                      return run(*args, *groups);
                    },
                    true};
}

}  // namespace coldbench::cli
