// What the run loop tells its hooks after a run, and what it does with what
// they answer: a run that never started is said to be one (not a zeroed
// SpawnResult), and an error a hook reports after the run is kept with the
// run and stops the session, after the last run too.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "bench/runner.hpp"

namespace coldbench::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CommandSpec fixture_command(const std::string& name) {
  CommandSpec c;
  c.name = name;
  c.argv = {CB_FIXTURE_PATH};
  c.text = name;
  return c;
}

SessionOptions quick(int runs) {
  SessionOptions options;
  options.runs = runs;
  options.timeout_s = 30;
  return options;
}

// Records how each run ended; can refuse a run before it, or fail after it.
class EndRecordingHook : public RunHook {
 public:
  Expected<void> before_spawn(const CommandSpec&, proc::SpawnRequest&, RunRecord&) override {
    ++prepared;
    if (refuse_run == prepared) return Error{"cannot prepare", kExitUsage};
    return {};
  }
  Expected<void> after_run(const RunEnd& end, RunRecord&) override {
    ends.push_back(end.started() ? "reaped pid>0=" + std::to_string(end.result().pid > 0) : "not started");
    if (fail_after_run == static_cast<int>(ends.size())) return after_error;
    return {};
  }

  int prepared = 0;
  int refuse_run = 0;      // which before_spawn refuses, counting from 1; 0: none
  int fail_after_run = 0;  // which after_run fails, counting from 1; 0: none
  Error after_error{"cannot remove the run's cgroup /cg/run-1-0 (Device or resource busy)", 42};
  std::vector<std::string> ends;
};

class CountingSink : public ResultSink {
 public:
  Expected<void> on_run(const ResultsDocument&, const RunRecord& run) override {
    runs.push_back(run);
    return {};
  }
  Expected<void> on_finish(const ResultsDocument&) override { return {}; }
  std::vector<RunRecord> runs;
};

// The limits hook used to keep a cgroup-removal error for the next run's
// before_spawn, so after the last run it was lost.
TEST(BenchRunHooks, ErrorAfterTheLastRunIsReportedAndTheRunKept) {
  EndRecordingHook hook;
  hook.fail_after_run = 2;
  CountingSink sink;
  Session session(std::vector<CommandSpec>{fixture_command("a")}, quick(2));
  session.add_hook(&hook);
  session.add_sink(&sink);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message,
            "after run 2 of 'a': cannot remove the run's cgroup /cg/run-1-0 (Device or resource busy)");
  EXPECT_EQ(outcome.error().exit_code, 42);  // the hook's own code, through the added context
  ASSERT_EQ(doc.runs.size(), 2u);  // the measurement stands
  EXPECT_THAT(doc.runs[1].warnings, ElementsAre(hook.after_error.message));
  ASSERT_EQ(sink.runs.size(), 2u);  // and was written before the session stopped
  EXPECT_THAT(sink.runs[1].warnings, ElementsAre(hook.after_error.message));
}

TEST(BenchRunHooks, ErrorAfterARunStopsTheSessionBeforeTheNext) {
  EndRecordingHook hook;
  hook.fail_after_run = 1;
  Session session(std::vector<CommandSpec>{fixture_command("a")}, quick(3));
  session.add_hook(&hook);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error().message, HasSubstr("after run 1 of 'a'"));
  EXPECT_EQ(hook.prepared, 1);
  EXPECT_EQ(doc.runs.size(), 1u);
}

// Used to be after_reap(SpawnResult{}): pid -1 and a zero wait status, which
// reads as "exited with code 0".
TEST(BenchRunHooks, EarlierHooksAreToldARefusedRunDidNotStart) {
  EndRecordingHook first, second;
  second.refuse_run = 2;
  Session session(std::vector<CommandSpec>{fixture_command("a")}, quick(2));
  session.add_hook(&first);
  session.add_hook(&second);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message, "cannot prepare");
  EXPECT_THAT(first.ends, ElementsAre("reaped pid>0=1", "not started"));
  EXPECT_THAT(second.ends, ElementsAre("reaped pid>0=1"));  // its own refusal needs no cleanup
}

TEST(BenchRunHooks, HooksAreToldARunWhoseSpawnFailedDidNotStart) {
  EndRecordingHook hook;
  hook.fail_after_run = 1;  // its cleanup error joins the spawn's
  // Not looked up on this host (as inside a container), so the missing
  // directory is found by the spawn itself.
  SessionOptions options = quick(1);
  options.cwd = "/nonexistent-coldbench-dir";
  Session session(std::vector<CommandPlan>{CommandPlan{fixture_command("a"), {}, {}, {}, /*on_host=*/false}},
                  options);
  session.add_hook(&hook);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error().message, HasSubstr("command 'a': "));
  EXPECT_THAT(outcome.error().message, HasSubstr("(and after it: cannot remove the run's cgroup"));
  EXPECT_THAT(hook.ends, ElementsAre("not started"));
  EXPECT_TRUE(doc.runs.empty());
}

}  // namespace
}  // namespace coldbench::bench
