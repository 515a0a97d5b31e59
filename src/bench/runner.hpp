#pragma once
// The run loop: every scheduled run in a fresh process, hooks around each
// spawn, one RunRecord per run handed to the sinks as soon as it ends.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/adaptive.hpp"
#include "bench/command_hooks.hpp"
#include "bench/hooks.hpp"
#include "bench/schedule.hpp"
#include "core/expected.hpp"
#include "core/record.hpp"
#include "markers/rules.hpp"
#include "proc/child_runner.hpp"

namespace coldbench::bench {

struct SessionOptions {
  int runs = 10;
  int warmup = 0;
  Order order = Order::Interleaved;
  uint64_t seed = 1;
  std::optional<double> timeout_s;
  bool ignore_failure = false;  // non-zero exit codes count as successful runs
  std::vector<std::pair<std::string, std::string>> env;  // --env K=V, applied in order
  bool env_clear = false;
  std::string cwd;
  bool show_output = false;
  bool markers = true;  // give workloads COLDBENCH_FD
  // Look programs and cwd up on this host before any run; false when they are
  // inside a container image.
  bool resolve_programs = true;
  std::vector<markers::RegexRule> rules;
  // `--runs auto`: `runs` is ignored; rounds of runs until the stopper says
  // stop (bench/adaptive.hpp). The comparison rule needs an interleaved or
  // random order (its looks are between whole rounds).
  std::optional<AdaptiveOptions> adaptive;
  StopRule stop_rule = StopRule::Precision;
  // The comparison rule's question (bench/adaptive.hpp) about the session's
  // runs so far: are its comparisons conclusive when decided at alpha?
  std::function<bool(const ResultsDocument& document, double alpha)> conclusive;
  // hyperfine's --setup/--prepare/--conclude/--cleanup, per command index
  // (bench/command_hooks.hpp); shorter than the commands: none for the rest.
  std::vector<CommandHooks> command_hooks;
};

// One command with what is particular to it in a sweep: extra environment,
// its own hooks (limits, isolation, cache state) and labels (its parameters).
struct CommandPlan {
  CommandSpec command;
  std::vector<std::pair<std::string, std::string>> env;  // applied after SessionOptions::env
  std::vector<RunHook*> hooks;                          // run after the session-wide hooks
  std::map<std::string, std::string> labels;            // copied into every RunRecord
  bool on_host = true;  // false: runs inside a container, its program is not looked up here
};

struct SessionOutcome {
  int measured_runs = 0;
  int failed_runs = 0;  // measured and warmup runs that failed
  bool interrupted = false;
};

// Builds the argv a command runs with: its words, or /bin/sh -c TEXT. Its
// program is looked up by Session::run, so a typo is reported before any run.
Expected<CommandSpec> make_command(std::string name, std::string text, bool shell);
// The same through `shell`'s words (e.g. {"bash", "--norc"}): SHELL... -c TEXT;
// an empty `shell` splits TEXT into words and runs them without one.
Expected<CommandSpec> make_shell_command(std::string name, std::string text,
                                         const std::vector<std::string>& shell);

class Session {
 public:
  Session(std::vector<CommandSpec> commands, SessionOptions options);
  Session(std::vector<CommandPlan> plans, SessionOptions options);

  void add_hook(RunHook* hook) { hooks_.push_back(hook); }
  void add_sink(ResultSink* sink) { sinks_.push_back(sink); }
  void set_progress(ProgressListener* progress) { progress_ = progress; }
  // Where the runs' processes come from; real processes unless a test injects a fake.
  void set_child_runner(proc::ChildRunner* runner) { runner_ = runner; }

  // Continue an interrupted session: `document` already holds its finished
  // runs; scheduled runs that match one (command, warmup, index) are skipped.
  // The schedule is rebuilt from the same seed, so it is the same schedule.
  void set_resume(bool resume) { resume_ = resume; }
  // How many runs the full schedule has (for progress and history); with
  // adaptive runs, the most it can have (every command to max_runs).
  int planned_runs() const;

  // Runs the whole schedule, appending to `document.runs`. Errors: a command
  // that cannot start, a hook that cannot prepare a run, a sink that cannot write.
  Expected<SessionOutcome> run(ResultsDocument& document);

 private:
  // One scheduled run with its progress events; false when it was interrupted.
  Expected<bool> step(const ScheduledRun& scheduled, int total, ResultsDocument& document, SessionOutcome& outcome);
  Expected<void> run_fixed(ResultsDocument& document, SessionOutcome& outcome);
  Expected<void> run_adaptive(ResultsDocument& document, SessionOutcome& outcome);
  bool done_already(const ScheduledRun& scheduled, const ResultsDocument& document) const;
  Expected<void> run_one(const ScheduledRun& scheduled, int sequence, ResultsDocument& document,
                         SessionOutcome& outcome);
  std::vector<std::string> child_environment(const CommandPlan& plan, int sequence) const;
  // The command hooks (command_hooks.hpp): `when` says where in the session, for an error.
  Expected<void> run_command_hook(int command, HookStage stage, const std::string& when,
                                  SessionOutcome& outcome);
  Expected<void> begin_command(int command,
                               SessionOutcome& outcome);             // --setup before its first run
  Expected<void> end_command(int command, SessionOutcome& outcome);  // --cleanup after its last run
  Expected<void> end_commands(SessionOutcome& outcome);              // every cleanup still owed
  Expected<void> resolve_hook_programs();

  std::vector<CommandPlan> plans_;
  std::vector<std::string> programs_;  // resolved argv[0] per command
  std::vector<std::vector<std::string>> hook_programs_;  // [command][HookStage]: resolved argv[0]
  enum class CommandState { NotStarted, SetUp, CleanedUp };
  std::vector<CommandState> command_state_;
  SessionOptions options_;
  std::vector<RunHook*> hooks_;
  std::vector<ResultSink*> sinks_;
  ProgressListener* progress_ = nullptr;
  proc::ChildRunner* runner_ = &proc::process_runner();
  bool resume_ = false;
};

// Describes why a run failed ("exited with code 3", "killed by signal 11
// (Segmentation fault)", "timed out after 5 s"); empty when it succeeded.
std::string describe_failure(const RunRecord& run, bool ignore_failure, std::optional<double> timeout_s);

}  // namespace coldbench::bench
