#include "bench/runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>

#include "core/clock.hpp"
#include "core/env_var.hpp"
#include "core/host.hpp"
#include "core/shell_words.hpp"
#include "markers/run_markers.hpp"
#include "noise/machine_sampler.hpp"


namespace coldbench::bench {
namespace {

// Feeds one run's output to its marker collector.
class MarkerObserver : public proc::OutputObserver {
 public:
  explicit MarkerObserver(markers::RunMarkers& markers) : markers_(markers) {}
  void on_marker_line(std::string_view line, int64_t) override { markers_.on_marker_line(line); }
  bool on_output_line(proc::Stream, std::string_view line, int64_t received_ns) override {
    return markers_.on_output_line(line, received_ns);
  }

 private:
  markers::RunMarkers& markers_;
};

// Tells the first `count` hooks how the run ended. Every one runs (each
// undoes its own state); the errors they report are joined into one.
std::optional<Error> end_run_for_hooks(const std::vector<RunHook*>& hooks, std::size_t count, const RunEnd& end,
                                       RunRecord& record) {
  std::optional<Error> failed;
  for (std::size_t h = 0; h < count; ++h) {
    auto done = hooks[h]->after_run(end, record);
    if (done) continue;
    if (!failed) {
      failed = done.error();
    } else {
      failed->message += "; " + done.error().message;
    }
  }
  return failed;
}

// A hook command's output is not the workload's: no markers, no phase rules.
class HookObserver : public proc::OutputObserver {
 public:
  void on_marker_line(std::string_view, int64_t) override {}
  bool on_output_line(proc::Stream, std::string_view, int64_t) override { return true; }
};

// An error that stopped the session, with the cleanups' own errors after it.
Error with_cleanup_errors(Error error, const Expected<void>& cleanups) {
  if (!cleanups) error.message += fmt::format(" (and after it: {})", cleanups.error().message);
  return error;
}

// A run that could not start is reported by its own error; a hook's cleanup
// error on that path is added to it.
Error with_cleanup_error(Error error, const std::optional<Error>& cleanup) {
  if (cleanup) error.message += fmt::format(" (and after it: {})", cleanup->message);
  return error;
}

}  // namespace

Expected<CommandSpec> make_command(std::string name, std::string text, bool shell) {
  return make_shell_command(
      std::move(name), std::move(text),
      shell ? std::vector<std::string>{"/bin/sh"} : std::vector<std::string>{});
}

Expected<CommandSpec> make_shell_command(std::string name, std::string text,
                                         const std::vector<std::string>& shell) {
  CommandSpec command;
  command.name = std::move(name);
  command.text = text;
  command.shell = !shell.empty();
  if (command.shell) {
    command.argv = shell;
    command.argv.insert(command.argv.end(), {"-c", text});
    return command;
  }
  auto words = split_shell_words(text);
  if (!words) return words.error();
  if (words->empty()) return make_error("command '{}' is empty", command.name);
  command.argv = std::move(words).value();
  return command;
}

std::string describe_failure(const RunRecord& run, bool ignore_failure, std::optional<double> timeout_s) {
  if (run.oom_killed) return "killed by the memory limit (OOM)";
  if (run.timed_out) return fmt::format("timed out after {:g} s (process group killed)", timeout_s.value_or(0));
  if (run.signal) return fmt::format("killed by signal {} ({})", *run.signal, strsignal(*run.signal));
  if (run.exit_code && *run.exit_code != 0 && !ignore_failure) {
    return fmt::format("exited with code {}", *run.exit_code);
  }
  return {};
}

Session::Session(std::vector<CommandSpec> commands, SessionOptions options) : options_(std::move(options)) {
  for (auto& command : commands) plans_.push_back(CommandPlan{std::move(command), {}, {}, {}});
}

Session::Session(std::vector<CommandPlan> plans, SessionOptions options)
    : plans_(std::move(plans)), options_(std::move(options)) {}

int Session::planned_runs() const {
  const int runs = options_.adaptive ? options_.adaptive->max_runs : options_.runs;
  return static_cast<int>(plans_.size()) * (runs + options_.warmup);
}

std::vector<std::string> Session::child_environment(const CommandPlan& plan, int sequence) const {
  std::vector<std::string> env;
  if (!options_.env_clear) env = current_environment();
  // A harness inside a harness must not hand its own marker fd down.
  unset_env_entry(env, "COLDBENCH_FD");
  unset_env_entry(env, "COLDBENCH_RUN_ID");
  for (const auto& [key, value] : options_.env) set_env_entry(env, key, value);
  for (const auto& [key, value] : plan.env) set_env_entry(env, key, value);
  // Every run carries its id, markers or not: the watchdog finds a run's orphans by it, and a
  // workload can tell that it is being measured.
  set_env_entry(env, "COLDBENCH_RUN_ID", fmt::format("{}-{}", getpid(), sequence));
  if (options_.markers) set_env_entry(env, "COLDBENCH_FD", std::to_string(proc::kMarkerFd));
  return env;
}

Expected<SessionOutcome> Session::run(ResultsDocument& document) {
  // Bounded before anything is allocated for it (the schedule, the records).
  const int runs = options_.adaptive ? options_.adaptive->max_runs : options_.runs;
  auto size = check_session_size(static_cast<int64_t>(plans_.size()), runs, options_.warmup);
  if (!size) return size.error();
  if (options_.adaptive) {
    // The numbers were checked where they were parsed (make_adaptive_options); the order is the session's.
    if (options_.stop_rule == StopRule::Comparison && plans_.size() > 1 && options_.order == Order::Sequential) {
      return make_error("--runs auto compares commands between whole rounds of runs; --order sequential has no "
                        "rounds: use --order interleaved (the default) or random");
    }
  }
  // Now, while the harness has one thread (a hook may start a sampler thread):
  // the real runner starts its watchdog here.
  runner_->prepare();
  // Resolve every program first: a typo is an error before anything runs.
  programs_.clear();
  bool any_on_host = false;
  for (const auto& plan : plans_) {
    if (!options_.resolve_programs || !plan.on_host) {
      programs_.push_back(plan.command.argv.at(0));
      continue;
    }
    any_on_host = true;
    std::vector<std::string> probe_env = child_environment(plan, 0);
    const std::string* path_entry = find_env_entry(probe_env, "PATH");
    std::string path_value = path_entry ? std::string(split_env_entry(*path_entry)->value) : "";
    if (path_value.empty()) {
      const char* ours = std::getenv("PATH");
      path_value = ours ? ours : "/usr/local/bin:/usr/bin:/bin";
    }
    auto program = proc::resolve_program(plan.command.argv.at(0), path_value, options_.cwd);
    if (!program) return program.error().with_context(fmt::format("command '{}'", plan.command.name));
    programs_.push_back(std::move(program).value());
  }
  if (any_on_host && !options_.cwd.empty() && access(options_.cwd.c_str(), X_OK) != 0) {
    return make_error("--cwd '{}': not an accessible directory", options_.cwd);
  }
  if (auto resolved = resolve_hook_programs(); !resolved) return resolved.error();
  command_state_.assign(plans_.size(), CommandState::NotStarted);

  if (!resume_ || document.started_at.empty()) {
    document.tool_version = COLDBENCH_VERSION;
    document.started_at = utc_timestamp();
    document.host = read_host_info();
  }
  document.commands.clear();
  for (const auto& plan : plans_) {
    document.commands.push_back(plan.command);
    make_text_valid(document.commands.back());  // the plan keeps the bytes the workload runs with
  }

  SessionOutcome outcome;
  for (const auto& run : document.runs) {
    if (!run.warmup) ++outcome.measured_runs;
  }
  if (progress_) progress_->on_session_start(options_.adaptive.has_value());
  auto looped = options_.adaptive ? run_adaptive(document, outcome) : run_fixed(document, outcome);
  // Cleanups still owed: a command whose last run a resumed session found done, or a session that
  // stopped early on an error (what a setup did is undone). Ctrl-C stops at once, without them.
  Expected<void> cleaned = outcome.interrupted ? Expected<void>() : end_commands(outcome);
  if (progress_) progress_->on_finish();
  if (!looped) return with_cleanup_errors(looped.error(), cleaned);
  if (!cleaned) return cleaned.error();
  document.finished_at = utc_timestamp();
  document.interrupted = outcome.interrupted;
  for (auto* sink : sinks_) {
    auto written = sink->on_finish(document);
    if (!written) return written.error();
  }
  return outcome;
}

bool Session::done_already(const ScheduledRun& s, const ResultsDocument& document) const {
  if (!resume_) return false;
  const std::string& name = document.commands[s.command_index].name;
  for (const auto& run : document.runs) {
    if (run.command == name && run.warmup == s.warmup && run.index == s.index) return true;
  }
  return false;
}

Expected<bool> Session::step(const ScheduledRun& scheduled, int total, ResultsDocument& document,
                             SessionOutcome& outcome) {
  if (proc::interrupt_requested()) {
    outcome.interrupted = true;
    return false;
  }
  const int command = scheduled.command_index;
  if (auto began = begin_command(command, outcome); !began) return began.error();
  const std::string run_name = fmt::format("{} {} of '{}'", scheduled.warmup ? "warmup" : "run",
                                           scheduled.index + 1, plans_[command].command.name);
  // Before the run hooks: the cache state they set is the one the run starts from.
  if (!outcome.interrupted) {
    if (auto prepared =
            run_command_hook(command, HookStage::Prepare, "before " + run_name, outcome);
        !prepared) {
      return prepared.error();
    }
  }
  if (outcome.interrupted) return false;
  const int position = static_cast<int>(document.runs.size());
  if (progress_)
    progress_->on_run_start(position, total, plans_[command].command, scheduled.warmup);
  auto done = run_one(scheduled, position, document, outcome);
  if (!done) return done.error();
  if (outcome.interrupted) return false;
  if (progress_) progress_->on_run_end(position, total, document.runs.back());
  if (auto concluded = run_command_hook(command, HookStage::Conclude, "after " + run_name, outcome);
      !concluded) {
    return concluded.error();
  }
  return !outcome.interrupted;
}

Expected<void> Session::resolve_hook_programs() {
  hook_programs_.assign(plans_.size(), std::vector<std::string>(4));
  const char* ours = std::getenv("PATH");
  std::string path_value = ours ? ours : "/usr/local/bin:/usr/bin:/bin";
  for (const auto& [key, value] : options_.env) {
    if (key == "PATH") path_value = value;
  }
  const std::string cwd = options_.resolve_programs ? options_.cwd : "";
  for (std::size_t c = 0; c < plans_.size() && c < options_.command_hooks.size(); ++c) {
    for (HookStage stage :
         {HookStage::Setup, HookStage::Prepare, HookStage::Conclude, HookStage::Cleanup}) {
      const auto& hook = options_.command_hooks[c].at(stage);
      if (!hook) continue;
      if (hook->argv.empty())
        return make_error("{} '{}': the command is empty", hook_flag(stage), hook->text);
      auto program = proc::resolve_program(hook->argv[0], path_value, cwd);
      if (!program)
        return program.error().with_context(fmt::format("{} '{}'", hook_flag(stage), hook->text));
      hook_programs_[c][static_cast<int>(stage)] = std::move(program).value();
    }
  }
  return {};
}

Expected<void> Session::run_command_hook(int command, HookStage stage, const std::string& when,
                                         SessionOutcome& outcome) {
  if (static_cast<std::size_t>(command) >= options_.command_hooks.size()) return {};
  const auto& hook = options_.command_hooks[command].at(stage);
  if (!hook) return {};
  const CommandPlan& plan = plans_[command];
  proc::SpawnRequest request;
  request.program = hook_programs_[command][static_cast<int>(stage)];
  request.argv = hook->argv;
  // The harness's environment with --env: a hook is the user's own command on this host, never the
  // workload (no marker fd, no run id; --env-clear is the workload's).
  request.env = current_environment();
  unset_env_entry(request.env, "COLDBENCH_FD");
  unset_env_entry(request.env, "COLDBENCH_RUN_ID");
  for (const auto& [key, value] : options_.env) set_env_entry(request.env, key, value);
  for (const auto& [key, value] : plan.env) set_env_entry(request.env, key, value);
  request.cwd = options_.resolve_programs ? options_.cwd : "";
  request.marker_pipe = false;
  request.show_output = options_.show_output;
  request.tail_lines = 5;
  HookObserver observer;
  auto result = runner_->run(request, observer);
  if (!result)
    return result.error().with_context(
        fmt::format("{} '{}' ({})", hook_flag(stage), hook->text, when));
  if (result->interrupted) {
    outcome.interrupted = true;
    return {};
  }
  std::string failure;
  if (WIFSIGNALED(result->wait_status)) {
    const int signal = WTERMSIG(result->wait_status);
    failure = fmt::format("was killed by signal {} ({})", signal, strsignal(signal));
  } else if (WIFEXITED(result->wait_status) && WEXITSTATUS(result->wait_status) != 0) {
    failure = fmt::format("exited with code {}", WEXITSTATUS(result->wait_status));
  }
  if (failure.empty()) return {};
  std::string message = fmt::format(
      "{} '{}' {} ({}); the session stops here, with the runs before it recorded. "
      "Append ' || true' to the command if its failure does not matter",
      hook_flag(stage), hook->text, failure, when);
  for (const auto& line : result->tail) message += "\n    | " + line;
  return Error{message, kExitFailedRuns};
}

Expected<void> Session::begin_command(int command, SessionOutcome& outcome) {
  if (command_state_[command] != CommandState::NotStarted) return {};
  command_state_[command] = CommandState::SetUp;
  return run_command_hook(command, HookStage::Setup,
                          fmt::format("before the first run of '{}'", plans_[command].command.name),
                          outcome);
}

Expected<void> Session::end_command(int command, SessionOutcome& outcome) {
  if (command_state_[command] != CommandState::SetUp) return {};
  command_state_[command] = CommandState::CleanedUp;
  return run_command_hook(command, HookStage::Cleanup,
                          fmt::format("after the last run of '{}'", plans_[command].command.name),
                          outcome);
}

Expected<void> Session::end_commands(SessionOutcome& outcome) {
  std::optional<Error> failed;
  for (int command = 0; command < static_cast<int>(plans_.size()); ++command) {
    if (outcome.interrupted) break;
    auto ended = end_command(command, outcome);
    if (ended) continue;
    if (!failed) {
      failed = ended.error();
    } else {
      failed->message += "; " + ended.error().message;
    }
  }
  if (failed) return *failed;
  return {};
}

Expected<void> Session::run_fixed(ResultsDocument& document, SessionOutcome& outcome) {
  auto schedule = build_schedule(static_cast<int>(plans_.size()), options_.runs, options_.warmup, options_.order,
                                 options_.seed);
  const int total = static_cast<int>(schedule.size());
  std::vector<std::size_t> last(plans_.size(), 0);  // each command's last place in the schedule
  for (std::size_t i = 0; i < schedule.size(); ++i) last[schedule[i].command_index] = i;
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    const ScheduledRun& scheduled = schedule[i];
    if (done_already(scheduled, document)) continue;
    auto stepped = step(scheduled, total, document, outcome);
    if (!stepped) return stepped.error();
    if (!*stepped) break;
    if (i == last[scheduled.command_index]) {
      if (auto ended = end_command(scheduled.command_index, outcome); !ended) return ended.error();
      if (outcome.interrupted) break;
    }
  }
  return {};
}

Expected<void> Session::run_adaptive(ResultsDocument& document, SessionOutcome& outcome) {
  const int commands = static_cast<int>(plans_.size());
  const int total = planned_runs();
  ConclusiveAt conclusive_at;
  if (options_.stop_rule == StopRule::Comparison && options_.conclusive) {
    conclusive_at = [&](double alpha) { return options_.conclusive(document, alpha); };
  }
  AdaptiveStopper stopper(*options_.adaptive, options_.stop_rule, plans_.size(), conclusive_at);
  for (const auto& run : document.runs) stopper.record(run);  // a resumed session's runs count
  const int64_t started_ns = monotonic_ns();
  auto elapsed_s = [&] { return double(monotonic_ns() - started_ns) / 1e9; };
  auto publish = [&] { document.adaptive = stopper.to_json(document.commands); };

  auto warmups = [&](int command) -> Expected<bool> {
    for (int i = 0; i < options_.warmup; ++i) {
      const ScheduledRun scheduled{command, i, true};
      if (done_already(scheduled, document)) continue;
      auto stepped = step(scheduled, total, document, outcome);
      if (!stepped || !*stepped) return stepped;
    }
    return true;
  };
  auto measured = [&](int command) -> Expected<bool> {
    const ScheduledRun scheduled{command, stopper.attempts(command), false};
    auto stepped = step(scheduled, total, document, outcome);
    if (stepped && *stepped) stopper.record(document.runs.back());
    return stepped;
  };
  // A cleanup's outcome as a step's: an error, or the session goes on unless interrupted.
  auto ended_step = [&](const Expected<void>& ended) -> Expected<bool> {
    if (!ended) return ended.error();
    return !outcome.interrupted;
  };
  auto finish = [&](Expected<bool> stepped) -> Expected<void> {
    if (!stepped) return stepped.error();
    stopper.interrupt();  // only commands still running are marked
    publish();
    return {};
  };

  stopper.evaluate(0);  // a resumed session may already be done
  if (options_.order == Order::Sequential) {
    for (int command = 0; command < commands; ++command) {
      if (!stopper.running(command)) continue;
      if (auto w = warmups(command); !w || !*w) return finish(w);
      while (stopper.running(command)) {
        auto m = measured(command);
        if (!m || !*m) return finish(m);
        stopper.evaluate(elapsed_s());
        publish();
      }
      if (auto ended = end_command(command, outcome); !ended || outcome.interrupted)
        return finish(ended_step(ended));
    }
  } else {
    for (int command = 0; command < commands; ++command) {
      if (auto w = warmups(command); !w || !*w) return finish(w);
    }
    std::mt19937_64 shuffle(options_.seed);
    while (!stopper.finished()) {
      std::vector<int> round;
      int target = std::numeric_limits<int>::max();
      for (int command = 0; command < commands; ++command) {
        if (!stopper.running(command)) continue;
        round.push_back(command);
        target = std::min(target, stopper.attempts(command) + 1);
      }
      if (options_.order == Order::Random) std::shuffle(round.begin(), round.end(), shuffle);
      for (int command : round) {
        if (stopper.attempts(command) >= target) continue;  // ahead after a resume
        auto m = measured(command);
        if (!m || !*m) return finish(m);
      }
      stopper.evaluate(elapsed_s());
      publish();
      for (int command = 0; command < commands; ++command) {
        if (stopper.running(command)) continue;
        if (auto ended = end_command(command, outcome); !ended || outcome.interrupted) {
          return finish(ended_step(ended));
        }
      }
    }
  }
  publish();
  return {};
}

Expected<void> Session::run_one(const ScheduledRun& scheduled, int sequence, ResultsDocument& document,
                                SessionOutcome& outcome) {
  const CommandPlan& plan = plans_[scheduled.command_index];
  const CommandSpec& command = plan.command;
  RunRecord record;
  record.command = command.name;
  record.command_index = scheduled.command_index;
  record.index = scheduled.index;
  record.sequence = sequence;
  record.warmup = scheduled.warmup;
  record.labels = plan.labels;

  proc::SpawnRequest request;
  request.program = programs_[scheduled.command_index];
  request.argv = command.argv;
  request.env = child_environment(plan, sequence);
  request.cwd = options_.cwd;
  request.timeout_s = options_.timeout_s;
  request.marker_pipe = options_.markers;
  request.show_output = options_.show_output;

  std::vector<RunHook*> hooks = hooks_;
  hooks.insert(hooks.end(), plan.hooks.begin(), plan.hooks.end());
  for (std::size_t h = 0; h < hooks.size(); ++h) {
    auto ready = hooks[h]->before_spawn(command, request, record);
    if (!ready) return with_cleanup_error(ready.error(), end_run_for_hooks(hooks, h, RunEnd::not_started(), record));
  }

  record.started_at = utc_timestamp();
  markers::RunMarkers collected(&options_.rules);
  MarkerObserver observer(collected);
  // The machine's counters bracket the spawn and reap as closely as the
  // harness can (docs/machine-noise.md); hooks' own work stays outside.
  const noise::MachineSampler sampler;
  const CpuList run_cpus = noise::run_cpus(record);
  const noise::MachineSample machine_before = sampler.sample(run_cpus, noise::MachineSampler::Moment::BeforeSpawn);
  auto spawned = runner_->run(request, observer);
  const noise::MachineSample machine_after = sampler.sample(run_cpus, noise::MachineSampler::Moment::AfterReap);
  if (!spawned) {
    return with_cleanup_error(spawned.error().with_context(fmt::format("command '{}'", command.name)),
                              end_run_for_hooks(hooks, hooks.size(), RunEnd::not_started(), record));
  }
  const proc::SpawnResult& result = *spawned;
  if (result.interrupted) {
    outcome.interrupted = true;  // an interrupted run is not a measurement
    if (auto cleanup = end_run_for_hooks(hooks, hooks.size(), RunEnd::reaped(result), record)) return *cleanup;
    return {};
  }

  collected.fill(record, result.spawn_ns, result.wall_ms());

  record.wall_ms = result.wall_ms();
  record.setup_ms = result.setup_ms();
  if (WIFEXITED(result.wait_status)) record.exit_code = WEXITSTATUS(result.wait_status);
  if (WIFSIGNALED(result.wait_status)) record.signal = WTERMSIG(result.wait_status);
  record.timed_out = result.timed_out;
  const rusage& ru = result.usage;
  record.usage.user_ms = double(ru.ru_utime.tv_sec) * 1e3 + double(ru.ru_utime.tv_usec) / 1e3;
  record.usage.system_ms = double(ru.ru_stime.tv_sec) * 1e3 + double(ru.ru_stime.tv_usec) / 1e3;
  record.usage.max_rss_kb = ru.ru_maxrss;
  record.usage.minor_faults = ru.ru_minflt;
  record.usage.major_faults = ru.ru_majflt;
  record.usage.voluntary_switches = ru.ru_nvcsw;
  record.usage.involuntary_switches = ru.ru_nivcsw;

  const std::optional<Error> cleanup = end_run_for_hooks(hooks, hooks.size(), RunEnd::reaped(result), record);
  if (cleanup) record.warnings.push_back(cleanup->message);
  // After the hooks: the workload's CPU time may come from its cgroup.
  record.machine = noise::noise_between(machine_before, machine_after, noise::workload_cpu_ms(record),
                                        sysconf(_SC_CLK_TCK));
  for (const std::string* problem : {&machine_before.problem, &machine_after.problem}) {
    if (!problem->empty()) {
      record.warnings.push_back("machine noise not recorded: " + *problem);
      break;
    }
  }

  record.error = describe_failure(record, options_.ignore_failure, options_.timeout_s);
  if (!record.succeeded()) {
    record.output_tail = result.tail_text();
    ++outcome.failed_runs;
  }
  if (!record.warmup) ++outcome.measured_runs;
  make_text_valid(record);  // the workload's bytes (output, paths) become text here, before any sink

  document.runs.push_back(std::move(record));
  for (auto* sink : sinks_) {
    auto written = sink->on_run(document, document.runs.back());
    if (!written) return written.error();
  }
  // Recorded first: the measurement stands, but the session stops here.
  if (cleanup) return cleanup->with_context(fmt::format("after run {} of '{}'", sequence + 1, command.name));
  return {};
}

}  // namespace coldbench::bench
