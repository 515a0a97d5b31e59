#include "bench/runner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <string>
#include <vector>

namespace coldbench::bench {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// --- make_command / describe_failure ----------------------------------------

TEST(BenchMakeCommand, ShellCommandRunsThroughBinSh) {
  auto c = make_command("pipe", "sleep 1 | cat > 'out file'", true);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->name, "pipe");
  EXPECT_EQ(c->text, "sleep 1 | cat > 'out file'");
  EXPECT_TRUE(c->shell);
  EXPECT_THAT(c->argv, ElementsAre("/bin/sh", "-c", "sleep 1 | cat > 'out file'"));
}

TEST(BenchMakeCommand, PlainCommandIsSplitIntoWords) {
  auto c = make_command("py", R"(python3 x.py --arg "a b" 'c d')", false);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->shell);
  EXPECT_THAT(c->argv, ElementsAre("python3", "x.py", "--arg", "a b", "c d"));
}

TEST(BenchMakeCommand, EmptyOrUnsplittableCommandIsAnError) {
  auto empty = make_command("blank", "   ", false);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message, HasSubstr("command 'blank' is empty"));
  auto quote = make_command("q", "echo 'unterminated", false);
  ASSERT_FALSE(quote.ok());
  EXPECT_THAT(quote.error().message, HasSubstr("unterminated single quote"));
}

TEST(BenchDescribeFailure, SuccessIsEmpty) {
  RunRecord run;
  run.exit_code = 0;
  EXPECT_EQ(describe_failure(run, false, std::nullopt), "");
}

TEST(BenchDescribeFailure, NonZeroExitUnlessIgnored) {
  RunRecord run;
  run.exit_code = 3;
  EXPECT_EQ(describe_failure(run, false, std::nullopt), "exited with code 3");
  EXPECT_EQ(describe_failure(run, true, std::nullopt), "");
}

TEST(BenchDescribeFailure, SignalsFailEvenWhenExitCodesAreIgnored) {
  RunRecord run;
  run.signal = SIGSEGV;
  EXPECT_THAT(describe_failure(run, false, std::nullopt), HasSubstr("killed by signal 11 ("));
  EXPECT_THAT(describe_failure(run, true, std::nullopt), HasSubstr("killed by signal 11"));
}

TEST(BenchDescribeFailure, TimeoutAndOomWinOverTheKillSignal) {
  RunRecord run;
  run.signal = SIGKILL;
  run.timed_out = true;
  EXPECT_EQ(describe_failure(run, false, 5.0), "timed out after 5 s (process group killed)");
  EXPECT_EQ(describe_failure(run, false, 0.25), "timed out after 0.25 s (process group killed)");
  run.oom_killed = true;
  EXPECT_EQ(describe_failure(run, true, 5.0), "killed by the memory limit (OOM)");
}

// --- Session ------------------------------------------------------------------

using Commands = std::vector<CommandSpec>;

CommandSpec fixture_command(const std::string& name, std::vector<std::string> steps) {
  CommandSpec c;
  c.name = name;
  c.argv = {CB_FIXTURE_PATH};
  c.argv.insert(c.argv.end(), steps.begin(), steps.end());
  c.text = name;
  return c;
}

CommandSpec shell_command(const std::string& name, const std::string& script) {
  auto c = make_command(name, script, true);
  EXPECT_TRUE(c.ok());
  return *c;
}

// Records every call; can refuse the Nth run and edit the request and record.
class FakeHook : public RunHook {
 public:
  explicit FakeHook(std::string tag) : tag_(std::move(tag)) {}
  Expected<void> before_spawn(const CommandSpec& command, proc::SpawnRequest& request,
                              RunRecord& record) override {
    calls.push_back("before " + command.name);
    envs.push_back(request.env);
    if (fail_on_call == static_cast<int>(envs.size())) return make_error("{} cannot prepare", tag_);
    request.env.push_back("HOOK_" + tag_ + "=set");
    record.labels["hook_" + tag_] = "before";
    return {};
  }
  Expected<void> after_run(const RunEnd& end, RunRecord& record) override {
    calls.push_back("after " + record.command);
    tails.push_back(end.started() ? end.result().tail_text() : "(not started)");
    record.isolation = "sandbox";
    record.labels["reaped_" + tag_] = "yes";
    return {};
  }

  std::vector<std::string> calls;
  std::vector<std::vector<std::string>> envs;
  std::vector<std::string> tails;
  int fail_on_call = 0;  // which before_spawn call fails, counting from 1; 0: none

 private:
  std::string tag_;
};

// Checks that each run arrives as it ends, with the document up to date.
class FakeSink : public ResultSink {
 public:
  Expected<void> on_run(const ResultsDocument& document, const RunRecord& run) override {
    runs.push_back(run);
    document_sizes.push_back(document.runs.size());
    same_as_last.push_back(&document.runs.back() == &run);
    return {};
  }
  Expected<void> on_finish(const ResultsDocument& document) override {
    ++finished;
    finished_with = document.runs.size();
    return {};
  }

  std::vector<RunRecord> runs;
  std::vector<std::size_t> document_sizes;
  std::vector<bool> same_as_last;
  int finished = 0;
  std::size_t finished_with = 0;
};

SessionOptions quick(int runs, int warmup) {
  SessionOptions options;
  options.runs = runs;
  options.warmup = warmup;
  options.timeout_s = 30;
  return options;
}

TEST(BenchSession, RunsTheScheduleAndFillsRecords) {
  Session session(Commands{fixture_command("a", {"sleep:20", "phase:load", "metric:lat=1,2"}),
                           fixture_command("b", {"print:oops", "exit:3"})},
                  quick(2, 1));
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->measured_runs, 4);
  EXPECT_EQ(outcome->failed_runs, 3);  // b fails in its warmup and both measured runs
  EXPECT_FALSE(outcome->interrupted);
  ASSERT_EQ(doc.runs.size(), 6u);
  ASSERT_EQ(doc.commands.size(), 2u);
  EXPECT_FALSE(doc.started_at.empty());
  EXPECT_FALSE(doc.finished_at.empty());
  EXPECT_FALSE(doc.tool_version.empty());

  for (std::size_t i = 0; i < doc.runs.size(); ++i)
    EXPECT_EQ(doc.runs[i].sequence, static_cast<int>(i));
  const RunRecord& a = doc.runs[2];  // interleaved: wa wb a0 b0 a1 b1
  EXPECT_EQ(a.command, "a");
  EXPECT_FALSE(a.warmup);
  EXPECT_EQ(a.index, 0);
  EXPECT_TRUE(a.succeeded());
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_GE(a.wall_ms, 20.0);
  ASSERT_EQ(a.phases.size(), 1u);
  EXPECT_EQ(a.phases[0].name, "load");
  EXPECT_GE(a.phases[0].end_ms, 20.0);
  ASSERT_NE(a.metric("lat"), nullptr);
  EXPECT_THAT(a.metric("lat")->values, ElementsAre(1.0, 2.0));
  EXPECT_TRUE(a.output_tail.empty());  // kept for failed runs only

  const RunRecord& b = doc.runs[5];
  EXPECT_EQ(b.command, "b");
  EXPECT_EQ(b.index, 1);
  EXPECT_EQ(b.exit_code, 3);
  EXPECT_EQ(b.error, "exited with code 3");
  EXPECT_EQ(b.output_tail, "oops\n");
}

// The machine's counters are sampled around each run (docs/machine-noise.md):
// structure only, since the values depend on what else the machine does.
TEST(BenchSession, EveryRunRecordsTheMachineAroundIt) {
  Session session(Commands{fixture_command("a", {"burn:50"})}, quick(2, 0));
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  for (const RunRecord& run : doc.runs) {
    ASSERT_TRUE(run.machine) << "run " << run.index;
    const MachineNoise& m = *run.machine;
    ASSERT_TRUE(m.cpus && m.interval_ms && m.other_cpu_fraction && m.load_1m_start);
    EXPECT_GE(*m.cpus, 1);
    EXPECT_GE(*m.interval_ms, run.wall_ms);  // the samples bracket exec .. reap
    for (auto fraction : {m.other_cpu_fraction, m.steal_fraction, m.iowait_fraction}) {
      ASSERT_TRUE(fraction);
      EXPECT_GE(*fraction, 0.0);
      EXPECT_LE(*fraction, 1.0);
    }
    EXPECT_TRUE(run.warnings.empty()) << run.warnings.front();
  }
}

TEST(BenchSession, HooksSeeEveryRunAndCanEditRequestAndRecord) {
  FakeHook hook("one");
  FakeSink sink;
  Session session(Commands{shell_command("env", "echo \"hook=$HOOK_one fd=$COLDBENCH_FD\"")},
                  quick(2, 0));
  session.add_hook(&hook);
  session.add_sink(&sink);
  ResultsDocument doc;
  ASSERT_TRUE(session.run(doc).ok());
  EXPECT_THAT(hook.calls, ElementsAre("before env", "after env", "before env", "after env"));
  EXPECT_THAT(hook.tails, ElementsAre("hook=set fd=3\n", "hook=set fd=3\n"));
  ASSERT_EQ(doc.runs.size(), 2u);
  for (const auto& run : doc.runs) {
    EXPECT_EQ(run.labels.at("hook_one"), "before");
    EXPECT_EQ(run.labels.at("reaped_one"), "yes");
    EXPECT_EQ(run.isolation, "sandbox");
  }
  // The sink saw the records after the hooks finished with them.
  ASSERT_EQ(sink.runs.size(), 2u);
  EXPECT_EQ(sink.runs[0].isolation, "sandbox");
}

TEST(BenchSession, SinkReceivesEachRunAsItEnds) {
  FakeSink sink;
  Session session(Commands{fixture_command("a", {}), fixture_command("b", {"exit:1"})},
                  quick(2, 1));
  session.add_sink(&sink);
  ResultsDocument doc;
  ASSERT_TRUE(session.run(doc).ok());
  ASSERT_EQ(sink.runs.size(), 6u);
  EXPECT_THAT(sink.document_sizes, ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_THAT(sink.same_as_last, Not(Contains(false)));
  EXPECT_TRUE(sink.runs[0].warmup);
  EXPECT_FALSE(sink.runs[1].succeeded());  // failed runs are delivered too
  EXPECT_EQ(sink.finished, 1);
  EXPECT_EQ(sink.finished_with, 6u);
}

TEST(BenchSession, HookErrorStopsTheSessionAndEarlierHooksStillGetAfterRun) {
  FakeHook first("first"), second("second");
  second.fail_on_call = 2;  // the second run cannot be prepared
  FakeSink sink;
  Session session(Commands{fixture_command("a", {})}, quick(3, 0));
  session.add_hook(&first);
  session.add_hook(&second);
  session.add_sink(&sink);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error().message, HasSubstr("second cannot prepare"));
  EXPECT_THAT(first.calls, ElementsAre("before a", "after a", "before a", "after a"));
  EXPECT_THAT(second.calls, ElementsAre("before a", "after a", "before a"));
  EXPECT_EQ(first.tails.back(), "(not started)");  // told the run never started
  EXPECT_EQ(doc.runs.size(), 1u);
  EXPECT_EQ(sink.runs.size(), 1u);
  EXPECT_EQ(sink.finished, 0);
}

TEST(BenchSession, MissingProgramIsAnErrorBeforeAnythingRuns) {
  FakeHook hook("h");
  CommandSpec missing;
  missing.name = "typo";
  missing.argv = {"definitely-not-a-program-cb"};
  Session session(Commands{fixture_command("a", {}), missing}, quick(1, 0));
  session.add_hook(&hook);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error().message, HasSubstr("command 'typo'"));
  EXPECT_THAT(outcome.error().message,
              HasSubstr("command not found: 'definitely-not-a-program-cb'"));
  EXPECT_THAT(hook.calls, IsEmpty());
  EXPECT_THAT(doc.runs, IsEmpty());
}

// Audit: `run -n 2147483647` reached the schedule and allocated 12.5 GB.
TEST(BenchSession, SizeAboveTheCapIsAnErrorBeforeAnythingRuns) {
  FakeHook hook("h");
  Session session(Commands{fixture_command("a", {}), fixture_command("b", {})}, quick(2147483647, 0));
  session.add_hook(&hook);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error().message, HasSubstr("1 to 1000000 runs per command"));
  EXPECT_THAT(hook.calls, IsEmpty());
  EXPECT_THAT(doc.runs, IsEmpty());
}

TEST(BenchSession, EnvironmentOptionsAndMarkerVariables) {
  // A harness inside a harness must not pass its own marker fd down.
  setenv("COLDBENCH_FD", "9", 1);
  setenv("COLDBENCH_RUN_ID", "outer", 1);
  FakeHook hook("h");
  SessionOptions options = quick(1, 0);
  options.env = {{"FOO", "1"}, {"FOO", "2"}, {"BAR", "x=y"}};
  options.env_clear = true;
  Session with_markers(Commands{fixture_command("a", {})}, options);
  with_markers.add_hook(&hook);
  ResultsDocument doc;
  ASSERT_TRUE(with_markers.run(doc).ok());

  options.markers = false;
  options.env_clear = false;
  Session without_markers(Commands{fixture_command("a", {})}, options);
  without_markers.add_hook(&hook);
  ResultsDocument doc2;
  ASSERT_TRUE(without_markers.run(doc2).ok());
  unsetenv("COLDBENCH_FD");
  unsetenv("COLDBENCH_RUN_ID");

  ASSERT_EQ(hook.envs.size(), 2u);
  EXPECT_THAT(hook.envs[0], Contains("FOO=2"));
  EXPECT_THAT(hook.envs[0], Not(Contains("FOO=1")));
  EXPECT_THAT(hook.envs[0], Contains("BAR=x=y"));
  EXPECT_THAT(hook.envs[0], Contains("COLDBENCH_FD=3"));
  EXPECT_THAT(hook.envs[0], Contains(HasSubstr("COLDBENCH_RUN_ID=")));
  EXPECT_THAT(hook.envs[0], Not(Contains("COLDBENCH_RUN_ID=outer")));
  EXPECT_THAT(hook.envs[0], Not(Contains(HasSubstr("PATH="))));  // env_clear
  EXPECT_THAT(hook.envs[1], Contains(HasSubstr("PATH=")));
  EXPECT_THAT(hook.envs[1], Not(Contains(HasSubstr("COLDBENCH_FD="))));
  // The run id, not the outer one, with or without markers: the watchdog and workloads rely on it.
  EXPECT_THAT(hook.envs[1], Contains(HasSubstr("COLDBENCH_RUN_ID=")));
  EXPECT_THAT(hook.envs[1], Not(Contains("COLDBENCH_RUN_ID=outer")));
}

TEST(BenchSession, TimedOutRunIsAFailureWithTheTimeout) {
  SessionOptions options = quick(1, 0);
  // Long enough for the fixture to start and print under any load (at 0.2 s an
  // ASan build beside a stress run was killed before it printed): the timeout
  // is what is tested, not its length.
  options.timeout_s = 3;
  Session session(Commands{fixture_command("slow", {"print:started", "hang"})}, options);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->failed_runs, 1);
  ASSERT_EQ(doc.runs.size(), 1u);
  EXPECT_TRUE(doc.runs[0].timed_out);
  EXPECT_EQ(doc.runs[0].signal, SIGKILL);
  EXPECT_EQ(doc.runs[0].error, "timed out after 3 s (process group killed)");
  EXPECT_EQ(doc.runs[0].output_tail, "started\n");
  EXPECT_GE(doc.runs[0].wall_ms, 3000.0);
}

TEST(BenchSession, InterruptedRunIsNotRecordedAndEndsTheSession) {
  struct sigaction old_int {
  }, old_term{}, old_pipe{};
  sigaction(SIGINT, nullptr, &old_int);
  sigaction(SIGTERM, nullptr, &old_term);
  sigaction(SIGPIPE, nullptr, &old_pipe);
  proc::install_interrupt_handler();
  FakeHook hook("h");
  FakeSink sink;
  // The second run interrupts its harness (us), as Ctrl-C would.
  const std::string script =
      std::string("case \"$COLDBENCH_RUN_ID\" in *-1) kill -INT $PPID; exec '") + CB_FIXTURE_PATH +
      "' hang;; esac";
  Session session(Commands{shell_command("a", script)}, quick(3, 0));
  session.add_hook(&hook);
  session.add_sink(&sink);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  proc::clear_interrupt();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);

  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(outcome->interrupted);
  EXPECT_EQ(outcome->measured_runs, 1);
  ASSERT_EQ(doc.runs.size(), 1u);  // the interrupted run is not a measurement
  EXPECT_TRUE(doc.interrupted);
  EXPECT_THAT(hook.calls, ElementsAre("before a", "after a", "before a", "after a"));
  EXPECT_EQ(sink.runs.size(), 1u);
  EXPECT_EQ(sink.finished, 1);  // what was measured is still written
}

TEST(BenchSession, RegexRulesApply) {
  SessionOptions options = quick(1, 0);
  auto rule = markers::parse_rule(markers::RuleKind::Phase, "ready=^ready$");
  ASSERT_TRUE(rule.ok());
  options.rules.push_back(*rule);
  Session session(Commands{fixture_command("a", {"sleep:10", "print:ready"})}, options);
  ResultsDocument doc;
  ASSERT_TRUE(session.run(doc).ok());
  ASSERT_EQ(doc.runs.at(0).phases.size(), 1u);
  EXPECT_EQ(doc.runs[0].phases[0].source, PhaseSource::Regex);
  EXPECT_GE(doc.runs[0].phases[0].end_ms, 10.0);
}

}  // namespace
}  // namespace coldbench::bench
