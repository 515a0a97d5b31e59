// `coldbench run`: repeat one or more commands in fresh processes and report
// phase timings, process stats, statistics and comparisons.

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "bench/command_spelling.hpp"
#include "bench/parameter_scan.hpp"
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
  std::string runs;  // a count, or "auto"; empty: 10, or auto with --min-runs/--max-runs
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
  std::string shell;  // -S: empty (not given), "none", "default" or a shell command line
  bool no_shell = false;  // -N
  bool no_markers = false;
  bool loader_stats = false;
  bool no_progress = false;
  bool gate = false;
  std::vector<std::string> phase_rules;
  std::vector<std::string> metric_rules;
  std::vector<std::string> positional;      // hyperfine's commands
  std::vector<std::string> command_names;   // -n: names of the positional commands, in order
  std::string reference;                    // --reference CMD: runs first, the others are compared with it
  std::vector<std::string> parameter_lists;  // -L NAME VALUES, two words per -L
  std::vector<std::string> parameter_scan;   // -P NAME MIN MAX
  std::string parameter_step;                // -D
  std::vector<std::string> prepare, setup, conclude, cleanup;  // one for all commands, or one per command
  std::vector<std::string> named_commands;  // --command NAME=CMD
  std::string name;
  std::vector<std::string> command_words;
  std::string time_unit;  // -u: millisecond, second, microsecond
  std::string style = "auto";
  std::string sort = "auto";
  std::string json, csv, markdown, hyperfine, hyperfine_csv, hyperfine_markdown;
  std::string threshold;  // empty: the comparison policy's defaults (stats/policy.hpp)
  std::optional<double> alpha;
  std::string correction;
};

// The shell the commands run through: its words, or none. `given`: -S/--shell or -N was used.
struct ShellChoice {
  bool given = false;
  std::vector<std::string> words;  // empty: no shell, the command's own words are executed
};

Expected<ShellChoice> shell_choice(const RunArguments& args) {
  if (args.no_shell && !args.shell.empty() && args.shell != "none") {
    return make_error("-N runs commands without a shell, --shell {} through one: give one of them", args.shell);
  }
  if (args.no_shell || args.shell == "none") return ShellChoice{true, {}};
  if (args.shell.empty()) return ShellChoice{false, {"/bin/sh"}};
  if (args.shell == "default") return ShellChoice{true, {"/bin/sh"}};
  auto words = split_shell_words(args.shell);
  if (!words) return words.error().with_context("--shell");
  if (words->empty()) return make_error("--shell '': give a shell (sh, bash, 'bash --norc') or none");
  return ShellChoice{true, std::move(words).value()};
}

// The commands and their plans: --reference, the positional commands (with -n names and the
// parameter scan), --command NAME=CMD, then the command after --.
struct BuiltCommands {
  std::vector<bench::CommandPlan> plans;
  std::vector<std::vector<bench::ParameterSetting>> settings;  // per plan: its scan values (for the hooks)
};

Expected<std::vector<bench::ParameterValues>> scan_parameters(const RunArguments& args) {
  std::vector<bench::ParameterValues> parameters;
  for (std::size_t i = 0; i + 1 < args.parameter_lists.size(); i += 2) {
    auto list = bench::parameter_list(args.parameter_lists[i], args.parameter_lists[i + 1]);
    if (!list) return list.error();
    parameters.push_back(std::move(list).value());
  }
  if (!args.parameter_scan.empty()) {
    if (args.parameter_scan.size() != 3) return make_error("-P takes NAME MIN MAX, once (several parameters: -L), e.g. -P threads 1 8");
    auto range = bench::parameter_range(args.parameter_scan[0], args.parameter_scan[1], args.parameter_scan[2],
                                        args.parameter_step);
    if (!range) return range.error();
    parameters.push_back(std::move(range).value());
  } else if (!args.parameter_step.empty()) {
    return make_error("-D {} is the step of a -P scan: give -P NAME MIN MAX with it", args.parameter_step);
  }
  return parameters;
}

Expected<BuiltCommands> build_commands(const RunArguments& args, const ShellChoice& shell) {
  BuiltCommands built;
  auto add = [&](Expected<CommandSpec> command, std::vector<bench::ParameterSetting> settings) -> Expected<void> {
    if (!command) return command.error();
    for (const auto& existing : built.plans) {
      if (existing.command.name == command->name) {
        return make_error("the name '{}' is used twice: give each command its own name (-n NAME, --command "
                          "NAME=CMD, --name)",
                          existing.command.name);
      }
    }
    bench::CommandPlan plan{std::move(command).value(), {}, {}, {}};
    for (const auto& [name, value] : settings) plan.labels[name] = value;
    built.plans.push_back(std::move(plan));
    built.settings.push_back(std::move(settings));
    return {};
  };
  for (const auto& name : args.command_names) {
    if (!is_valid_utf8(name)) {
      return make_error("-n '{}': not valid UTF-8; give the name in UTF-8 (or ASCII)", escape_invalid_utf8(name));
    }
  }
  if (!args.reference.empty()) {
    if (auto added = add(bench::make_shell_command(args.reference, args.reference, shell.words), {}); !added) {
      return added.error().with_context("--reference");
    }
  }
  auto scan = scan_parameters(args);
  if (!scan) return scan.error();
  if (args.positional.empty()) {
    if (!args.command_names.empty()) {
      return make_error("-n names the commands given as arguments, e.g. -n fast 'sleep 0.1'; name the command "
                        "after -- with --name, or use --command NAME=CMD");
    }
    if (!scan->empty()) {
      return make_error("-L and -P substitute {{NAME}} in the commands given as arguments, e.g. -L n 1,2 'sleep {{n}}'");
    }
  } else if (scan->empty()) {
    if (args.command_names.size() > args.positional.size()) {
      return make_error("{} names (-n) for {} command{}: give at most one name per command", args.command_names.size(),
                        args.positional.size(), args.positional.size() == 1 ? "" : "s");
    }
    for (std::size_t i = 0; i < args.positional.size(); ++i) {
      const std::string& text = args.positional[i];
      std::string name = i < args.command_names.size() ? args.command_names[i] : replace_invalid_utf8(text);
      if (auto added = add(bench::make_shell_command(name, text, shell.words), {}); !added) return added.error();
    }
  } else {
    auto scanned = bench::expand_parameters(args.positional, args.command_names, *scan);
    if (!scanned) return scanned.error();
    for (auto& c : *scanned) {
      if (auto added = add(bench::make_shell_command(replace_invalid_utf8(c.name), c.text, shell.words), c.settings);
          !added) {
        return added.error();
      }
    }
  }
  // --command and -- keep their words unless a shell was asked for (-S).
  const std::vector<std::string> explicit_shell = shell.given ? shell.words : std::vector<std::string>{};
  for (const auto& spec : args.named_commands) {
    auto named = bench::split_named_command(spec);
    if (!named) {
      return make_error("--command '{}': expected NAME=CMD with NAME of letters, digits and _.:+-, e.g. --command "
                        "'eager=python3 bench.py --mode eager'",
                        escape_invalid_utf8(spec));
    }
    if (auto added = add(bench::make_shell_command(named->first, named->second, explicit_shell), {}); !added) {
      return added.error().with_context("--command");
    }
  }
  // Names are stored as text; a command line may hold any bytes (it is recorded with U+FFFD for those).
  if (!is_valid_utf8(args.name)) {
    return make_error("--name '{}': not valid UTF-8; give the name in UTF-8 (or ASCII)", escape_invalid_utf8(args.name));
  }
  if (!args.command_words.empty()) {
    std::string text;
    for (const auto& word : args.command_words) text += (text.empty() ? "" : " ") + quote_shell_word(word);
    const bool through_shell = !explicit_shell.empty();
    if (through_shell && args.command_words.size() == 1) text = args.command_words[0];
    // A name derived from the command line is text, like the record's copy of it (U+FFFD for bytes that
    // are not UTF-8), so every message and table shows the same name; the argv keeps its bytes.
    auto command = bench::make_shell_command(args.name.empty() ? replace_invalid_utf8(text) : args.name, text,
                                             explicit_shell);
    if (command && !through_shell) command->argv = args.command_words;  // exactly as given, no re-splitting
    if (auto added = add(std::move(command), {}); !added) return added.error();
  }
  if (built.plans.empty()) {
    return make_error("no command to run: give commands as arguments (coldbench run 'sleep 0.1' 'sleep 0.2'), "
                      "one after --, or several with --command NAME=CMD (see --help)");
  }
  return built;
}

// -p/-s/--conclude/-c: one for every command or one per command, {NAME} of a scan substituted,
// through the commands' shell (sh unless -S/-N).
Expected<std::vector<bench::CommandHooks>> build_hooks(const RunArguments& args, const BuiltCommands& built,
                                                       const ShellChoice& shell) {
  const std::size_t commands = built.plans.size();
  std::vector<bench::CommandHooks> hooks(commands);
  const std::pair<bench::HookStage, const std::vector<std::string>*> given[] = {
      {bench::HookStage::Setup, &args.setup},
      {bench::HookStage::Prepare, &args.prepare},
      {bench::HookStage::Conclude, &args.conclude},
      {bench::HookStage::Cleanup, &args.cleanup}};
  for (const auto& [stage, texts] : given) {
    if (texts->empty()) continue;
    if (texts->size() != 1 && texts->size() != commands) {
      return make_error("{} is given {} times for {} commands: give it once (for every command) or once per command, "
                        "in the commands' order",
                        bench::hook_flag(stage), texts->size(), commands);
    }
    for (std::size_t c = 0; c < commands; ++c) {
      const std::string text = bench::substitute_parameters((*texts)[texts->size() == 1 ? 0 : c], built.settings[c]);
      auto command = bench::make_shell_command(std::string(bench::hook_flag(stage)), text, shell.words);
      if (!command) return command.error().with_context(fmt::format("{} '{}'", bench::hook_flag(stage), text));
      bench::HookCommand hook{text, command->argv};
      switch (stage) {
        case bench::HookStage::Setup: hooks[c].setup = hook; break;
        case bench::HookStage::Prepare: hooks[c].prepare = hook; break;
        case bench::HookStage::Conclude: hooks[c].conclude = hook; break;
        case bench::HookStage::Cleanup: hooks[c].cleanup = hook; break;
      }
    }
  }
  return hooks;
}

// "--runs auto" with its settings, or a count with none of them.
Expected<void> set_runs(const RunArguments& args, std::size_t commands, const stats::ComparisonPolicy& policy,
                        bench::SessionOptions& options) {
  const bool tuned = !args.adaptive.target_ci.empty() || args.adaptive.min_runs || args.adaptive.max_runs ||
                     !args.adaptive.max_time.empty();
  // As hyperfine: -m/-M without -r ask for a number of runs between them.
  const std::string runs_text =
      !args.runs.empty() ? args.runs : (args.adaptive.min_runs || args.adaptive.max_runs) ? "auto" : "10";
  if (runs_text == "auto") {
    // hyperfine's bounds: one of -m/-M alone moves the other's default out of its way (-M 3: at most 3, not
    // "at least 5"; -m 200: at least 200). coldbench's own floor of 2 runs stays.
    bench::AdaptiveSettings settings = args.adaptive;
    const bench::AdaptiveOptions defaults;
    if (settings.max_runs && !settings.min_runs && *settings.max_runs < defaults.min_runs) {
      settings.min_runs = std::max<int64_t>(2, *settings.max_runs);
    }
    if (settings.min_runs && !settings.max_runs && *settings.min_runs > defaults.max_runs) {
      settings.max_runs = settings.min_runs;
    }
    auto adaptive = bench::make_adaptive_options(settings, true);
    if (!adaptive) return adaptive.error();
    adaptive->policy = policy;
    options.adaptive = std::move(adaptive).value();
    options.stop_rule = commands > 1 ? bench::StopRule::Comparison : bench::StopRule::Precision;
    return {};
  }
  if (tuned) {
    return make_error("--target-ci, -m/--min-runs, -M/--max-runs and --max-time go with --runs auto; give --runs "
                      "auto (or leave -r out), or drop them for a fixed --runs {}",
                      runs_text);
  }
  int64_t runs = 0;
  const auto [end, ec] = std::from_chars(runs_text.data(), runs_text.data() + runs_text.size(), runs);
  if (ec != std::errc() || end != runs_text.data() + runs_text.size()) {
    return make_error("--runs '{}': give a number of runs (1 to {}) or auto", escape_invalid_utf8(runs_text),
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

nlohmann::json options_json(const RunArguments& args, const bench::SessionOptions& options, const ShellChoice& shell) {
  nlohmann::json hooks = nlohmann::json::object();
  for (const auto& [flag, texts] : {std::pair{"setup", &args.setup}, std::pair{"prepare", &args.prepare},
                                    std::pair{"conclude", &args.conclude}, std::pair{"cleanup", &args.cleanup}}) {
    if (!texts->empty()) hooks[flag] = *texts;
  }
  return {{"runs", options.adaptive ? nlohmann::json("auto") : nlohmann::json(options.runs)},
          {"warmup", args.warmup},
          {"order", args.order},
          {"seed", options.seed},
          {"timeout", args.timeout},
          {"ignore_failure", args.ignore_failure},
          {"env", args.env},
          {"env_clear", args.env_clear},
          {"cwd", args.cwd},
          {"shell", shell.words.empty() ? nlohmann::json("none") : nlohmann::json(shell.words)},
          {"hooks", hooks},
          {"markers", !args.no_markers},
          {"loader_stats", args.loader_stats},
          {"phase_rules", args.phase_rules},
          {"metric_rules", args.metric_rules}};
}

// --sort: the console's order. auto: the commands as given, the summary lines fastest first;
// command: everything as given; mean-time: everything by mean wall time (hyperfine's meanings).
analysis::SessionSummary sorted_for_console(analysis::SessionSummary summary, const std::string& sort) {
  if (sort == "command") return summary;
  auto mean_of = [&](const std::string& name) {
    for (const auto& c : summary.commands) {
      if (c.name == name && c.succeeded_runs > 0 && std::isfinite(c.wall.summary.mean)) return c.wall.summary.mean;
    }
    return std::numeric_limits<double>::infinity();
  };
  std::stable_sort(summary.comparisons.begin(), summary.comparisons.end(),
                   [&](const auto& a, const auto& b) { return mean_of(a.candidate) < mean_of(b.candidate); });
  if (sort == "mean-time") {
    std::stable_sort(summary.commands.begin(), summary.commands.end(),
                     [&](const auto& a, const auto& b) { return mean_of(a.name) < mean_of(b.name); });
  }
  return summary;
}

// --style: hyperfine's output styles, as a progress display and colour.
struct OutputStyle {
  bool progress = true;
  bool progress_bar = false;  // a bar redrawn in place; otherwise a line per run
  bool color = false;
  bool summary = true;  // none: nothing on stdout
};

OutputStyle output_style(const std::string& style, bool no_progress) {
  OutputStyle out;
  const bool terminal = isatty(STDERR_FILENO) != 0;
  if (style == "auto") {
    out.progress_bar = terminal;
    out.color = report::color_wanted(stdout);
  } else if (style == "full") {
    out.progress_bar = true;
    out.color = true;
  } else if (style == "nocolor") {
    out.progress_bar = terminal;
  } else if (style == "color") {
    out.color = true;
  } else if (style == "none") {
    out.progress = false;
    out.summary = false;
  }  // basic: lines, no colour
  if (no_progress) out.progress = false;
  return out;
}

std::string time_unit_symbol(const std::string& unit) {
  if (unit == "second") return "s";
  if (unit == "millisecond") return "ms";
  if (unit == "microsecond") return "µs";
  return "";
}

Expected<int> run(const RunArguments& args, const std::vector<std::unique_ptr<RunOptionGroup>>& groups) {
  auto shell = shell_choice(args);
  if (!shell) return shell.error();
  auto commands = build_commands(args, *shell);
  if (!commands) return commands.error();
  auto command_hooks = build_hooks(args, *commands, *shell);
  if (!command_hooks) return command_hooks.error();
  auto policy = comparison_policy(args.threshold, args.alpha, args.correction);
  if (!policy) return policy.error();
  if (args.gate && commands->plans.size() < 2) {
    return Error{"--gate compares commands with the first (or --reference): give a baseline and a candidate, e.g. "
                 "--reference ./old ./new"};
  }
  auto options = build_options(args, commands->plans.size(), *policy);
  if (!options) return options.error();
  options->command_hooks = std::move(command_hooks).value();
  // --runs auto with several commands: stop when the verdicts this command prints are conclusive.
  options->conclusive = [policy = *policy](const ResultsDocument& document, double alpha) {
    stats::ComparisonPolicy at_look = policy;
    at_look.alpha = alpha;
    return analysis::wall_comparisons_conclusive(analysis::summarize_session_at(document, at_look, /*power=*/false));
  };
  report::SummaryCache summaries(*policy);
  const std::string unit = time_unit_symbol(args.time_unit);
  const OutputStyle style = output_style(args.style, args.no_progress);

  std::vector<std::unique_ptr<report::FileExport>> exports;
  for (auto [format, path] : {std::pair{"json", &args.json}, std::pair{"csv", &args.csv},
                              std::pair{"markdown", &args.markdown}, std::pair{"hyperfine", &args.hyperfine},
                              std::pair{"hyperfine-csv", &args.hyperfine_csv},
                              std::pair{"hyperfine-markdown", &args.hyperfine_markdown}}) {
    if (path->empty()) continue;
    std::unique_ptr<report::Reporter> reporter = std::string_view(format) == "hyperfine-markdown"
                                                     ? std::make_unique<report::HyperfineMarkdownReporter>(unit)
                                                     : report::make_reporter(format);
    exports.push_back(std::make_unique<report::FileExport>(std::move(reporter), *path, summaries));
  }

  ResultsDocument document;
  document.options = options_json(args, *options, *shell);
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

  bench::Session session(std::move(commands->plans), std::move(options).value());
  for (auto* hook : hooks->in_order()) session.add_hook(hook);
  for (auto& e : exports) session.add_sink(e.get());
  report::ProgressDisplay progress(stderr, style.progress_bar);
  if (style.progress) session.set_progress(&progress);

  proc::install_interrupt_handler();
  auto outcome = session.run(document);
  if (!outcome) return outcome.error();

  const analysis::SessionSummary shown = sorted_for_console(summaries.get(document), args.sort);
  auto text = report::ConsoleReporter(unit).render(document, &shown);
  if (text && style.summary) report::print_summary_text(stdout, *text, style.color);
  if (style.summary) {
    for (const auto& e : exports) fmt::print(stderr, "wrote {}\n", e->path());
  }
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
      "Usage: coldbench run [OPTIONS] 'CMD' ['CMD' ...]       (each through sh -c, as hyperfine runs them)\n"
      "       coldbench run [OPTIONS] -- CMD [ARGS...]         (executed as given, no shell)\n"
      "       coldbench run [OPTIONS] --command NAME=CMD [--command NAME=CMD ...]\n\n"
      "hyperfine's flags mean the same here (docs/hyperfine.md): -r runs, -w warmup, -n names, -p/-s/--conclude/-c\n"
      "hooks, -S/-N shell, -L/-P/-D parameter scans, -m/-M, -u, --style, --reference, --sort, -i, --export-*.\n"
      "Unlike hyperfine, coldbench does not subtract the shell's start-up from the times: a command given as an\n"
      "argument includes sh's own start-up; -N (or -- CMD) measures the program alone (docs/hyperfine.md).\n"
      "Hooks run on the host (outside --isolate, --cpus/--memory and the cache preparation: --prepare runs before\n"
      "--cache sets the page cache, so --cache decides the state a run starts from); they are never measured, and\n"
      "one that fails stops the session with exit 1 after the runs so far were written.\n"
      "Workloads report phases through the marker protocol (COLDBENCH_FD, docs/marker-protocol.md);\n"
      "unmodified programs can be timed with --phase/--metric regexes on their output, in RE2 syntax\n"
      "(https://github.com/google/re2/wiki/Syntax; no backreferences or lookaround, linear-time matching).\n"
      "Names (-n, --name, --command NAME=, --phase/--metric NAME=) must be UTF-8; output and command lines that\n"
      "are not are recorded with U+FFFD for each invalid byte sequence (docs/result-schema.md).\n"
      "Every run records the machine around it (load average, other processes' CPU, steal, iowait, CPU\n"
      "frequency); a busy machine or wall times that drift with run order get a warning (docs/machine-noise.md).\n"
      "With several commands, each is compared with the first (--reference): faster / slower / equivalent within\n"
      "the threshold / inconclusive (with the runs needed), the same policy as 'compare' (docs/statistics.md).\n"
      "--runs auto runs in rounds and looks after each: one command stops when its median is known to\n"
      "--target-ci; several commands stop together when every comparison with the first is conclusive,\n"
      "decided at an alpha-spending share of --alpha so that looking after every round keeps the false-alarm\n"
      "rate at --alpha (docs/statistics.md, \"Adaptive stopping\"). The summary says how many runs each used and why\n"
      "it stopped.\n"
      "Exit status: 0 all runs succeeded, 1 some run or hook failed (or, with --gate, a regression), 2 bad usage\n"
      "or a command that cannot start, 3 with --gate: a comparison undecided,\n"
      "130 interrupted (the results measured so far are written).");

  sub->add_option("commands", args->positional,
                  "Commands to measure, each through the shell (-S; none with -N), as hyperfine takes them");
  sub->add_option("-r,--runs", args->runs,
                  "Measured runs per command, 1 to 1000000 (default 10), or auto: run until the answer is known "
                  "(--target-ci; with several commands, until every comparison is conclusive)");
  const bench::AdaptiveOptions adaptive_defaults;
  sub->add_option("--target-ci", args->adaptive.target_ci,
                  fmt::format("With --runs auto: stop a command once its median's 95% interval is within +-PCT "
                              "(default {:g}%)",
                              adaptive_defaults.target_ci * 100));
  sub->add_option("-m,--min-runs", args->adaptive.min_runs,
                  fmt::format("At least this many runs per command (default {}); without -r it means --runs auto",
                              adaptive_defaults.min_runs));
  sub->add_option("-M,--max-runs", args->adaptive.max_runs,
                  fmt::format("At most this many runs per command (default {}); without -r it means --runs auto",
                              adaptive_defaults.max_runs));
  sub->add_option("--max-time", args->adaptive.max_time,
                  "With --runs auto: stop after this long (e.g. 10m), whatever the target");
  sub->add_option("-w,--warmup", args->warmup, "Warmup runs per command, not counted, up to 1000000 (default 0)");
  sub->add_option("-n,--command-name", args->command_names,
                  "Name of a command given as an argument, in their order (repeatable; with -L/-P one name for all, "
                  "which may use {PARAMETER}, or one per command)")
      ->allow_extra_args(false);
  sub->add_option("--reference", args->reference,
                  "A command to compare every other command with: it runs first and is the baseline of every "
                  "comparison (default: the first command)");
  sub->add_option("-S,--shell", args->shell,
                  "Shell the commands given as arguments and the hooks run through: sh (default), bash, 'bash "
                  "--norc', ... or none; given, --command and -- commands run through it too")
      ->type_name("SHELL");
  sub->add_flag("-N", args->no_shell, "No shell (--shell=none): split each command into words and execute it");
  sub->add_option("-p,--prepare", args->prepare,
                  "Run CMD before each run (warmups included) and before --cache prepares the page cache; once for "
                  "all commands or once per command")
      ->allow_extra_args(false);
  sub->add_option("-s,--setup", args->setup, "Run CMD once before a command's first run (once, or once per command)")
      ->allow_extra_args(false);
  sub->add_option("--conclude", args->conclude, "Run CMD after each run (once, or once per command)")
      ->allow_extra_args(false);
  sub->add_option("-c,--cleanup", args->cleanup,
                  "Run CMD once after a command's last run (once, or once per command)")
      ->allow_extra_args(false);
  sub->add_option("-L,--parameter-list", args->parameter_lists,
                  "NAME V1,V2,...: run each command once per value, {NAME} replaced (repeatable: every combination)")
      ->expected(2)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  sub->add_option("-P,--parameter-scan", args->parameter_scan,
                  "NAME MIN MAX: run each command for MIN, MIN+STEP, ... MAX, {NAME} replaced")
      ->expected(3)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  sub->add_option("-D,--parameter-step-size", args->parameter_step, "The step of -P (default 1; needed for decimals)");
  sub->add_option("--order", args->order, "interleaved (A B A B, default), sequential or random");
  sub->add_option("--seed", args->seed, "Seed for --order random, 0 to 2^63-1 (default 1)");
  sub->add_option("--timeout", args->timeout, "Per-run time limit, e.g. 30 or 500ms; kills the process group");
  sub->add_flag("-i,--ignore-failure", args->ignore_failure,
                "Count non-zero exit codes as successful runs (crashes and timeouts still fail)");
  sub->add_option("--command", args->named_commands,
                  "A named command NAME=CMD (repeatable), split into words (through -S SHELL when given)")
      ->allow_extra_args(false);
  sub->add_option("--name", args->name, "Name for the command given after --");
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
  sub->add_option("--style", args->style,
                  "auto (default), basic (no colour, progress as lines), full (bar and colour even without a "
                  "terminal), nocolor, color (colour, progress as lines), none (no progress, no summary)")
      ->check(CLI::IsMember({"auto", "basic", "full", "nocolor", "color", "none"}));
  sub->add_option("-u,--time-unit", args->time_unit,
                  "Time unit of the console's tables and --export-markdown: millisecond, second or microsecond "
                  "(default: chosen per table; JSON and CSV stay in seconds)")
      ->check(CLI::IsMember({"millisecond", "second", "microsecond"}));
  sub->add_option("--sort", args->sort,
                  "Order of the console summary: auto (commands as given, summary lines fastest first), command, or "
                  "mean-time")
      ->check(CLI::IsMember({"auto", "command", "mean-time"}));
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
                    true, bench::check_replaced_run_flags};
}

}  // namespace coldbench::cli
