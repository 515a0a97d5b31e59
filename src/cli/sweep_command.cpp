// `coldbench sweep FILE.toml`: run an experiment (docs/experiment-format.md).

#include <unistd.h>

#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/shell_words.hpp"
#include "core/terminal_text.hpp"
#include "proc/spawn.hpp"
#include "report/console_color.hpp"
#include "report/formats.hpp"
#include "report/progress.hpp"
#include "report/reporter.hpp"
#include "report/table.hpp"
#include "store/history.hpp"
#include "sweep/k8s_manifest.hpp"
#include "sweep/shard.hpp"
#include "sweep/slurm_script.hpp"
#include "sweep/sweep_runner.hpp"

namespace coldbench::cli {
namespace {

struct SweepArguments {
  std::string file;
  bool resume = false;
  bool dry_run = false;
  std::string db;
  std::string json;
  bool show_output = false;
  bool no_progress = false;
  // Beyond one machine (docs/scale-out.md).
  std::string shard;  // I/N
  bool fleet = false;
  std::string host_label;
  std::string emit;  // slurm | k8s
  int shards = 0;
  std::string results_dir;
  std::string image = "coldbench:latest";
};

Expected<int> emit_scale_out(const sweep::Experiment& experiment, const SweepArguments& args) {
  if (args.shards < 1) {
    return make_error("--emit {} needs --shards N: how many shards (Slurm array tasks, Kubernetes pods) to split "
                      "the study into",
                      args.emit);
  }
  sweep::ScaleOutPlan plan;
  plan.experiment_file = args.file;
  plan.shards = args.shards;
  plan.mode = args.fleet ? sweep::ShardMode::Fleet : sweep::ShardMode::Configs;
  plan.results_dir = args.results_dir.empty() ? "results/" + sweep::cluster_name(experiment.name) : args.results_dir;
  if (auto checked = sweep::check_plan(experiment, plan); !checked) return checked.error();
  if (args.emit == "slurm") {
    fmt::print("{}", sweep::slurm_script(experiment, plan));
    return kExitOk;
  }
  sweep::K8sOptions options;
  options.image = args.image;
  auto text = sweep::read_experiment_file(args.file);
  if (!text) return text.error();
  options.experiment_text = std::move(text).value();
  fmt::print("{}", sweep::k8s_manifest(experiment, plan, options));
  return kExitOk;
}

int print_dry_run(const sweep::Experiment& experiment) {
  if (const auto& adaptive = experiment.adaptive) {
    fmt::print("experiment '{}' from {}: {} configs x (auto: {} to {} runs, until the median is known to +-{:g}%; + {} "
               "warmup) = at most {} runs, order {}, seed {}\n\n",
               experiment.name, experiment.file, experiment.configs.size(), adaptive->min_runs, adaptive->max_runs,
               adaptive->target_ci * 100, experiment.warmup,
               experiment.configs.size() * static_cast<std::size_t>(adaptive->max_runs + experiment.warmup),
               experiment.order, experiment.seed);
  } else {
    fmt::print("experiment '{}' from {}: {} configs x ({} runs + {} warmup) = {} runs, order {}, seed {}\n\n",
               experiment.name, experiment.file, experiment.configs.size(), experiment.runs, experiment.warmup,
               experiment.configs.size() * static_cast<std::size_t>(experiment.runs + experiment.warmup),
               experiment.order, experiment.seed);
  }
  report::Table table({"config", "command", "settings"});
  for (const auto& config : experiment.configs) {
    std::string settings;
    for (const auto& [key, value] : config.labels) {
      if (key == "config") continue;
      settings += (settings.empty() ? "" : " ") + key + "=" + value;
    }
    table.add_row({config.name, config.command_text, settings});
  }
  print_for_terminal(stdout, table.to_text());
  if (experiment.contrasts.empty()) {
    print_for_terminal(stdout, "\ncompares: each config with the first\n");
  } else {
    report::Table contrasts({"contrast", "candidate", "baseline"});
    for (const auto& c : experiment.contrasts) contrasts.add_row({c.name, c.candidate, c.baseline});
    print_for_terminal(stdout, "\ncompares ([[contrast]]):\n" + contrasts.to_text());
  }
  return kExitOk;
}

// The command that continues this session: every option that decides where it
// lives and what it writes, so running it as printed resumes this very session.
std::string resume_command(const SweepArguments& args, const std::string& db_path) {
  std::string command = "coldbench sweep " + quote_shell_word(args.file) + " --resume --db " +
                        quote_shell_word(db_path);
  if (!args.shard.empty()) command += " --shard " + quote_shell_word(args.shard);
  if (args.fleet) command += " --fleet";
  if (!args.host_label.empty()) command += " --host-label " + quote_shell_word(args.host_label);
  if (!args.json.empty()) command += " --json " + quote_shell_word(args.json);
  if (args.show_output) command += " --show-output";
  if (args.no_progress) command += " --no-progress";
  return command;
}

Expected<int> run_sweep_command(const SweepArguments& args) {
  auto whole = sweep::load_experiment(args.file);
  if (!whole) return whole.error();
  if (!args.emit.empty()) return emit_scale_out(*whole, args);
  if (args.shards != 0 || !args.results_dir.empty()) return make_error("--shards and --results-dir go with --emit");
  if (args.fleet && args.shard.empty()) return make_error("--fleet goes with --shard I/N (or --emit)");
  if (!args.host_label.empty() && args.shard.empty()) return make_error("--host-label goes with --shard I/N");
  sweep::SweepOptions options;
  Expected<sweep::Experiment> experiment = *whole;
  if (!args.shard.empty()) {
    auto shard = sweep::parse_shard(args.shard);
    if (!shard) return shard.error();
    shard->mode = args.fleet ? sweep::ShardMode::Fleet : sweep::ShardMode::Configs;
    experiment = sweep::shard_experiment(*whole, *shard);
    if (!experiment) return experiment.error();
    options.shard = sweep::shard_record(*shard, *whole, args.host_label);
  }
  if (args.dry_run) {
    // The rules are checked as a real sweep would (RE2 refuses some patterns), so a dry run catches them.
    auto checked = sweep::experiment_session_options(*experiment);
    if (!checked) return checked.error();
    return print_dry_run(*experiment);
  }

  report::SummaryCache summaries;
  std::unique_ptr<report::FileExport> json_export;
  options.db_path = args.db.empty() ? store::default_database_path() : args.db;
  options.resume = args.resume;
  options.show_output = args.show_output;
  options.notice = print_notice;
  if (!args.json.empty()) {
    json_export = std::make_unique<report::FileExport>(report::make_reporter("json"), args.json, summaries);
    options.extra_sinks.push_back(json_export.get());
  }
  report::ProgressDisplay progress(stderr, isatty(STDERR_FILENO) != 0);
  if (!args.no_progress) options.progress = &progress;

  proc::install_interrupt_handler();
  auto result = sweep::run_sweep(*experiment, options);
  if (!result) return result.error();

  if (const auto& finished = result->nothing_to_resume) {
    fmt::print(stderr,
               "nothing to resume: session {} of '{}' finished ({}/{} runs); run without --resume to start a new "
               "session, or see `coldbench report {}`\n",
               finished->id, experiment->name, finished->done_runs, finished->planned_runs, finished->id);
    return kExitOk;
  }
  if (result->started_new) {
    fmt::print(stderr, "no session of '{}' to resume in {}: started session {}\n", experiment->name,
               options.db_path, result->session_id);
  }
  if (result->resumed) {
    fmt::print(stderr, "resumed session {}: {} runs were already done\n", result->session_id, result->resumed_runs);
  }
  auto text = report::make_reporter("study")->render(result->document, &summaries.get(result->document));
  if (text) report::print_summary_text(stdout, *text);
  fmt::print("\nsession {} in {} ({} runs); `coldbench report {} --html FILE` for charts\n", result->session_id,
             options.db_path, result->document.runs.size(), result->session_id);
  if (json_export) fmt::print(stderr, "wrote {}\n", json_export->path());
  if (result->outcome.interrupted) {
    fmt::print(stderr, "interrupted: continue with `{}`\n", resume_command(args, options.db_path));
    return kExitInterrupted;
  }
  return result->outcome.failed_runs > 0 ? kExitFailedRuns : kExitOk;
}

}  // namespace

Subcommand add_sweep_command(CLI::App& app) {
  auto args = std::make_shared<SweepArguments>();
  CLI::App* sub = app.add_subcommand("sweep", "Run an experiment described in TOML (every config, interleaved)");
  sub->add_option("file", args->file, "The experiment file (docs/experiment-format.md)")->required();
  sub->add_flag("--resume", args->resume,
                "Continue this experiment's latest session without repeating finished runs (nothing to do, exit 0, "
                "when it finished; a new session when there is none)");
  sub->add_flag("--dry-run", args->dry_run, "Print the expanded configs and the number of runs, run nothing");
  sub->add_option("--db", args->db, "History database (default $COLDBENCH_DB or results/history.sqlite)");
  sub->add_option("--json", args->json, "Also write the session as a coldbench/1 JSON file, updated after each run");
  sub->add_flag("--show-output", args->show_output, "Show the workloads' output");
  sub->add_flag("--no-progress", args->no_progress, "No progress bar or lines on stderr");
  sub->add_option("--shard", args->shard,
                  "Run shard I of N (from 0): a contiguous block of whole configs, one history per shard; merge "
                  "them with `coldbench merge` (docs/scale-out.md)");
  sub->add_flag("--fleet", args->fleet,
                "With --shard or --emit: every shard runs every config (compare hosts) instead of a part of them");
  sub->add_option("--host-label", args->host_label,
                  "With --shard: the host's name in merged reports (default the hostname; in a pod, the node's name)");
  sub->add_option("--emit", args->emit,
                  "Write the study as a Slurm array script (slurm) or Kubernetes Indexed Job manifest (k8s) to "
                  "stdout, run nothing")
      ->check(CLI::IsMember({"slurm", "k8s"}));
  sub->add_option("--shards", args->shards, "With --emit: the number of shards (array tasks, pods)");
  sub->add_option("--results-dir", args->results_dir,
                  "With --emit: where shards write shard-I.sqlite and the merge study.sqlite (default results/NAME)");
  sub->add_option("--image", args->image, "With --emit k8s: the container image with coldbench and the workload");
  sub->footer("A session is run by one process at a time: a second --resume of a session that is running exits 2\n"
              "naming the process that runs it (the lock is DB.lock, next to the database).\n"
              "Exit status: 0 all runs succeeded (or --resume found nothing to resume), 1 some run failed,\n"
              "2 bad experiment file, usage, a damaged history or a session run elsewhere,\n"
              "130 interrupted (finished runs are kept; resume with --resume).");
  return Subcommand{sub, [args] { return run_sweep_command(*args); }};
}

}  // namespace coldbench::cli
