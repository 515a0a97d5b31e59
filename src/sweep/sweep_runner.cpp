#include "sweep/sweep_runner.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/host.hpp"
#include "markers/rules.hpp"
#include "store/history_sink.hpp"
#include "sweep/git_revision.hpp"
#include "store/session_lock.hpp"

namespace coldbench::sweep {

std::vector<CommandSpec> experiment_commands(const Experiment& experiment) {
  std::vector<CommandSpec> commands;
  for (const auto& config : experiment.configs) {
    commands.push_back(CommandSpec{config.name, config.command_text, config.argv, config.shell});
  }
  return commands;
}

Expected<bench::SessionOptions> experiment_session_options(const Experiment& experiment) {
  bench::SessionOptions options;
  options.runs = experiment.runs;
  options.adaptive = experiment.adaptive;  // each config until its own target (the precision rule)
  options.warmup = experiment.warmup;
  auto order = bench::parse_order(experiment.order);
  if (!order) return order.error();
  options.order = *order;
  options.seed = experiment.seed;
  options.timeout_s = experiment.timeout_s;
  for (const auto& spec : experiment.phase_rules) {
    auto rule = markers::parse_rule(markers::RuleKind::Phase, spec);
    if (!rule) return rule.error().with_context(experiment.file + ": [defaults] phases");
    options.rules.push_back(std::move(rule).value());
  }
  for (const auto& spec : experiment.metric_rules) {
    auto rule = markers::parse_rule(markers::RuleKind::Metric, spec);
    if (!rule) return rule.error().with_context(experiment.file + ": [defaults] metrics");
    options.rules.push_back(std::move(rule).value());
  }
  return options;
}

Expected<SweepOutcome> run_sweep(const Experiment& experiment, const SweepOptions& options) {
  auto session_options = experiment_session_options(experiment);
  if (!session_options) return session_options.error();
  session_options->show_output = options.show_output;

  auto opened = store::History::open(options.db_path);
  if (!opened) return opened.error();
  store::History& history = **opened;
  // A damaged file is found before the first run, not when its result is lost.
  if (auto ready = history.check_ready_for_runs(); !ready) return ready.error();
  auto locks = store::SessionLocks::open(options.db_path);
  if (!locks) return locks.error();

  SweepOutcome result;
  const std::string fingerprint = experiment.fingerprint();
  if (options.resume) {
    // Found and locked under `choosing`: no other process can take it in between.
    auto choosing = locks->choose();
    if (!choosing) return choosing.error();
    auto latest = history.latest_session(experiment.name);
    if (!latest) return latest.error();
    if (*latest && (*latest)->status == "finished") {
      result.session_id = (*latest)->id;
      result.nothing_to_resume = **latest;
      return result;
    }
    if (*latest) {
      if ((*latest)->experiment_hash != fingerprint) {
        return make_error(
            "cannot resume session {} of '{}': the experiment changed since it started (configs, runs, seed or "
            "rules differ); run without --resume to start a new session",
            (*latest)->id, experiment.name);
      }
      if (auto locked = locks->lock((*latest)->id); !locked) return locked.error();
      auto document = history.load_document((*latest)->id);
      if (!document) return document.error();
      result.document = std::move(document).value();
      result.session_id = (*latest)->id;
      result.resumed = true;
      result.resumed_runs = static_cast<int>(result.document.runs.size());
    } else {
      result.started_new = true;
    }
  }

  std::vector<setup::RunHooks> hooks;
  std::vector<bench::CommandPlan> plans;
  for (const auto& config : experiment.configs) {
    const std::string context = fmt::format("config '{}'", config.name);
    auto run_setup = config_setup(config);
    if (!run_setup) return run_setup.error().with_context(context);
    auto config_hooks = setup::make_run_hooks(*run_setup, options.notice);
    if (!config_hooks) return config_hooks.error().with_context(context);
    for (const auto& note : config_hooks->notes) options.notice(fmt::format("note: {}: {}", context, note));
    bench::CommandPlan plan{CommandSpec{config.name, config.command_text, config.argv, config.shell}, config.env,
                            config_hooks->in_order(), config.labels,
                            !isolate::is_container_engine(run_setup->isolation.mode)};
    hooks.push_back(std::move(config_hooks).value());
    plans.push_back(std::move(plan));
  }

  bench::Session session(std::move(plans), std::move(session_options).value());
  if (!result.resumed) {
    result.document.options = nlohmann::json{{"experiment", experiment.name},
                                              {"experiment_file", experiment.file},
                                              {"fingerprint", fingerprint},
                                              {"runs", experiment.adaptive ? nlohmann::json("auto")
                                                                           : nlohmann::json(experiment.runs)},
                                              {"warmup", experiment.warmup},
                                              {"order", experiment.order},
                                              {"seed", experiment.seed},
                                              {"phase_rules", experiment.phase_rules},
                                              {"metric_rules", experiment.metric_rules}};
    if (!options.shard.is_null()) result.document.options["shard"] = options.shard;
    if (!experiment.contrasts.empty()) {
      auto& contrasts = result.document.options["contrasts"] = nlohmann::json::array();
      for (const auto& c : experiment.contrasts) {
        contrasts.push_back({{"name", c.name}, {"baseline", c.baseline}, {"candidate", c.candidate}});
      }
    }
    result.document.tool_version = COLDBENCH_VERSION;
    result.document.started_at = utc_timestamp();
    result.document.host = read_host_info();
    result.document.commands = experiment_commands(experiment);
    store::SessionInfo info;
    info.experiment = experiment.name;
    info.experiment_file = experiment.file;
    info.experiment_hash = fingerprint;
    info.started_at = result.document.started_at;
    info.host = result.document.host.hostname;
    info.git_commit = current_git_commit();
    info.planned_runs = session.planned_runs();
    // Created and locked under `choosing`, so a concurrent --resume cannot pick it up first.
    auto choosing = locks->choose();
    if (!choosing) return choosing.error();
    auto id = history.begin_session(info, result.document);
    if (!id) return id.error();
    result.session_id = *id;
    if (auto locked = locks->lock(*id); !locked) return locked.error();
  }
  session.set_resume(true);  // an empty document resumes nothing; a loaded one skips its runs

  store::HistorySink sink(history, result.session_id);
  session.add_sink(&sink);
  for (auto* extra : options.extra_sinks) session.add_sink(extra);
  if (options.progress) session.set_progress(options.progress);

  auto outcome = session.run(result.document);
  if (!outcome) {
    result.document.interrupted = true;
    (void)history.update_session(result.session_id, result.document, "interrupted");
    return outcome.error();
  }
  result.outcome = *outcome;
  return result;
}

}  // namespace coldbench::sweep
