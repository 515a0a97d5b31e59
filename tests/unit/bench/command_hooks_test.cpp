// hyperfine's --setup/--prepare/--conclude/--cleanup in the run loop, driven
// by a fake child runner: their order around each command's runs (sequential
// and interleaved, warmups included), and a failing hook that stops the
// session after the runs so far were handed to the sinks.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/runner.hpp"
#include "proc/child_runner.hpp"

namespace coldbench::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Logs what it is asked to run: a hook by its text ("sh -c TEXT"), a run by its command's first
// word.
class LoggingRunner : public proc::ChildRunner {
 public:
  Expected<proc::SpawnResult> run(const proc::SpawnRequest& request,
                                  proc::OutputObserver&) override {
    const bool hook = request.argv.size() == 3 && request.argv[1] == "-c";
    log.push_back(hook ? request.argv[2] : "run " + request.argv[0]);
    if (hook) {
      EXPECT_FALSE(request.marker_pipe);
    }
    proc::SpawnResult result;
    result.clone_ns = 1'000'000'000LL * static_cast<int64_t>(log.size());
    result.spawn_ns = result.clone_ns + 1000;
    result.end_ns = result.spawn_ns + 5'000'000;
    if (hook && request.argv[2] == fail) {
      result.wait_status = 3 << 8;
      result.tail = {"hook said no"};
    }
    return result;
  }
  std::vector<std::string> log;
  std::string fail;  // a hook text that exits with 3
};

class CountingSink : public ResultSink {
 public:
  Expected<void> on_run(const ResultsDocument&, const RunRecord&) override {
    ++runs;
    return {};
  }
  Expected<void> on_finish(const ResultsDocument&) override { return {}; }
  int runs = 0;
};

CommandSpec command(const std::string& name) {
  CommandSpec c;
  c.name = name;
  c.text = name;
  c.argv = {name};
  return c;
}

HookCommand hook(const std::string& text) {
  return HookCommand{text, {"/bin/sh", "-c", text}};
}

CommandHooks hooks_for(const std::string& name) {
  CommandHooks h;
  h.setup = hook("setup " + name);
  h.prepare = hook("prepare " + name);
  h.conclude = hook("conclude " + name);
  h.cleanup = hook("cleanup " + name);
  return h;
}

SessionOptions options(int runs, int warmup, Order order) {
  SessionOptions o;
  o.runs = runs;
  o.warmup = warmup;
  o.order = order;
  o.resolve_programs = false;
  o.command_hooks = {hooks_for("a"), hooks_for("b")};
  return o;
}

// The order hyperfine gives them: setup, (prepare, run, conclude) per run, cleanup.
TEST(CommandHooksOrder, SequentialIsHyperfinesOrderWithWarmupsPrepared) {
  LoggingRunner runner;
  Session session(std::vector<CommandSpec>{command("a"), command("b")},
                  options(2, 1, Order::Sequential));
  session.set_child_runner(&runner);
  ResultsDocument document;
  auto outcome = session.run(document);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_THAT(runner.log,
              ElementsAre("setup a", "prepare a", "run a", "conclude a", "prepare a", "run a",
                          "conclude a", "prepare a", "run a", "conclude a", "cleanup a", "setup b",
                          "prepare b", "run b", "conclude b", "prepare b", "run b", "conclude b",
                          "prepare b", "run b", "conclude b", "cleanup b"));
}

TEST(CommandHooksOrder, InterleavedSetsUpBeforeEachCommandsFirstRunAndCleansUpAfterItsLast) {
  LoggingRunner runner;
  Session session(std::vector<CommandSpec>{command("a"), command("b")},
                  options(2, 0, Order::Interleaved));
  session.set_child_runner(&runner);
  ResultsDocument document;
  ASSERT_TRUE(session.run(document));
  EXPECT_THAT(runner.log,
              ElementsAre("setup a", "prepare a", "run a", "conclude a", "setup b", "prepare b",
                          "run b", "conclude b", "prepare a", "run a", "conclude a", "cleanup a",
                          "prepare b", "run b", "conclude b", "cleanup b"));
}

TEST(CommandHooksOrder, FailingConcludeStopsAfterTheRecordedRunsAndStillCleansUp) {
  LoggingRunner runner;
  SessionOptions o = options(3, 0, Order::Sequential);
  o.command_hooks[0].prepare = hook("prepare a");
  runner.fail = "conclude a";
  Session session(std::vector<CommandSpec>{command("a"), command("b")}, o);
  session.set_child_runner(&runner);
  CountingSink sink;
  session.add_sink(&sink);
  ResultsDocument document;
  auto outcome = session.run(document);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().exit_code, kExitFailedRuns);
  EXPECT_THAT(outcome.error().message,
              HasSubstr("--conclude 'conclude a' exited with code 3 (after run 1 of 'a')"));
  EXPECT_THAT(outcome.error().message, HasSubstr("| hook said no"));
  EXPECT_EQ(sink.runs, 1);  // the run before the hook was written
  EXPECT_EQ(document.runs.size(), 1u);
  // What setup did is undone; b never started, so it has nothing to clean up.
  EXPECT_THAT(runner.log, ElementsAre("setup a", "prepare a", "run a", "conclude a", "cleanup a"));
}

TEST(CommandHooksOrder, NoHooksNoExtraProcesses) {
  LoggingRunner runner;
  SessionOptions o = options(2, 0, Order::Interleaved);
  o.command_hooks.clear();
  Session session(std::vector<CommandSpec>{command("a"), command("b")}, o);
  session.set_child_runner(&runner);
  ResultsDocument document;
  ASSERT_TRUE(session.run(document));
  EXPECT_THAT(runner.log, ElementsAre("run a", "run b", "run a", "run b"));
}

}  // namespace
}  // namespace coldbench::bench
