// The run loop driven by a fake child runner (the ChildRunner seam, like
// hyperfine's MockExecutor): no process is started and nothing sleeps, so
// these pin the loop's own rules (a failure is recorded and the loop goes on,
// a timeout is a failure, records go out per run, an interrupt ends the
// session) independently of the machine.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "bench/runner.hpp"
#include "proc/child_runner.hpp"

namespace coldbench::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// What one fake run does.
struct ScriptedRun {
  int exit_code = 0;
  int signal = 0;  // non-zero: killed by this signal
  bool timed_out = false;
  bool interrupted = false;
  bool cannot_start = false;
  std::vector<std::string> output;   // stdout lines
  std::vector<std::string> markers;  // marker lines; "{T}" becomes spawn_ns + 5 ms
  int64_t wall_ns = 10'000'000;
  long max_rss_kb = 1234;
};

class FakeChildRunner : public proc::ChildRunner {
 public:
  explicit FakeChildRunner(std::vector<ScriptedRun> script, std::vector<std::string>* log = nullptr)
      : script_(std::move(script)), log_(log) {}

  void prepare() override { ++prepared; }

  Expected<proc::SpawnResult> run(const proc::SpawnRequest& request, proc::OutputObserver& observer) override {
    requests.push_back(request);
    const ScriptedRun& step = script_.at(calls++ % script_.size());
    if (log_) log_->push_back("run " + std::to_string(calls - 1));
    if (step.cannot_start) return make_error("cannot start '{}': No such file or directory", request.program);
    proc::SpawnResult result;
    result.pid = 4242;
    result.clone_ns = 1'000'000'000LL * calls;
    result.spawn_ns = result.clone_ns + 100'000;
    result.end_ns = result.spawn_ns + step.wall_ns;
    for (const auto& line : step.markers) {
      std::string text = line;
      if (auto at = text.find("{T}"); at != std::string::npos) {
        text.replace(at, 3, std::to_string(result.spawn_ns + 5'000'000));
      }
      observer.on_marker_line(text, result.spawn_ns + 5'000'000);
    }
    for (const auto& line : step.output) {
      if (observer.on_output_line(proc::Stream::Stdout, line, result.spawn_ns + 1'000'000)) {
        result.tail.push_back(line);
      }
    }
    result.wait_status = step.signal ? step.signal : (step.exit_code << 8);
    result.timed_out = step.timed_out;
    result.interrupted = step.interrupted;
    result.usage.ru_maxrss = step.max_rss_kb;
    return result;
  }

  int prepared = 0;
  int calls = 0;
  std::vector<proc::SpawnRequest> requests;

 private:
  std::vector<ScriptedRun> script_;
  std::vector<std::string>* log_;
};

class LoggingSink : public ResultSink {
 public:
  explicit LoggingSink(std::vector<std::string>* log) : log_(log) {}
  Expected<void> on_run(const ResultsDocument& document, const RunRecord& run) override {
    log_->push_back("record " + std::to_string(run.sequence) + " of " + std::to_string(document.runs.size()));
    return {};
  }
  Expected<void> on_finish(const ResultsDocument& document) override {
    log_->push_back("finish " + std::to_string(document.runs.size()));
    return {};
  }

 private:
  std::vector<std::string>* log_;
};

CommandSpec fake_command(const std::string& name) {
  CommandSpec c;
  c.name = name;
  c.text = name;
  c.argv = {"/nonexistent/" + name, "--flag"};  // never looked up nor started
  return c;
}

SessionOptions fake_options(int runs, int warmup) {
  SessionOptions options;
  options.runs = runs;
  options.warmup = warmup;
  options.resolve_programs = false;
  options.order = Order::Sequential;
  return options;
}

TEST(BenchSessionFakeChild, FailingRunIsRecordedAndTheLoopCarriesOn) {
  ScriptedRun failing;
  failing.exit_code = 3;
  failing.output = {"boom"};
  FakeChildRunner runner({failing, ScriptedRun{}, ScriptedRun{}});
  Session session(std::vector<CommandSpec>{fake_command("a")}, fake_options(3, 0));
  session.set_child_runner(&runner);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(runner.prepared, 1);
  EXPECT_EQ(runner.calls, 3);
  EXPECT_EQ(outcome->measured_runs, 3);
  EXPECT_EQ(outcome->failed_runs, 1);
  ASSERT_EQ(doc.runs.size(), 3u);
  EXPECT_EQ(doc.runs[0].exit_code, 3);
  EXPECT_EQ(doc.runs[0].error, "exited with code 3");
  EXPECT_EQ(doc.runs[0].output_tail, "boom\n");
  EXPECT_TRUE(doc.runs[1].succeeded());
  EXPECT_TRUE(doc.runs[2].succeeded());
  EXPECT_TRUE(doc.runs[1].output_tail.empty());  // kept for failed runs only
}

TEST(BenchSessionFakeChild, TimeoutIsRecordedAsAFailureWithItsLength) {
  ScriptedRun hung;
  hung.timed_out = true;
  hung.signal = SIGKILL;
  hung.output = {"started"};
  FakeChildRunner runner({hung});
  SessionOptions options = fake_options(1, 0);
  options.timeout_s = 5;
  Session session(std::vector<CommandSpec>{fake_command("slow")}, options);
  session.set_child_runner(&runner);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  ASSERT_EQ(runner.requests.size(), 1u);
  EXPECT_EQ(runner.requests[0].timeout_s, 5.0);  // the loop passes its timeout down
  EXPECT_EQ(outcome->failed_runs, 1);
  ASSERT_EQ(doc.runs.size(), 1u);
  EXPECT_TRUE(doc.runs[0].timed_out);
  EXPECT_EQ(doc.runs[0].signal, SIGKILL);
  EXPECT_EQ(doc.runs[0].error, "timed out after 5 s (process group killed)");
  EXPECT_EQ(doc.runs[0].output_tail, "started\n");
}

TEST(BenchSessionFakeChild, EachRecordGoesToTheSinksBeforeTheNextRunStarts) {
  std::vector<std::string> log;
  FakeChildRunner runner({ScriptedRun{}}, &log);
  LoggingSink sink(&log);
  Session session(std::vector<CommandSpec>{fake_command("a"), fake_command("b")}, fake_options(1, 1));
  session.set_child_runner(&runner);
  session.add_sink(&sink);
  ResultsDocument doc;
  ASSERT_TRUE(session.run(doc).ok());
  EXPECT_THAT(log, ElementsAre("run 0", "record 0 of 1", "run 1", "record 1 of 2", "run 2", "record 2 of 3",
                               "run 3", "record 3 of 4", "finish 4"));
}

TEST(BenchSessionFakeChild, InterruptedRunIsNotRecordedAndEndsTheSession) {
  ScriptedRun interrupted;
  interrupted.interrupted = true;
  interrupted.signal = SIGKILL;
  std::vector<std::string> log;
  FakeChildRunner runner({ScriptedRun{}, interrupted, ScriptedRun{}}, &log);
  LoggingSink sink(&log);
  Session session(std::vector<CommandSpec>{fake_command("a")}, fake_options(3, 0));
  session.set_child_runner(&runner);
  session.add_sink(&sink);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(outcome->interrupted);
  EXPECT_TRUE(doc.interrupted);
  EXPECT_EQ(outcome->measured_runs, 1);
  EXPECT_EQ(runner.calls, 2);  // the third run never starts
  ASSERT_EQ(doc.runs.size(), 1u);
  // What was measured is still written.
  EXPECT_THAT(log, ElementsAre("run 0", "record 0 of 1", "run 1", "finish 1"));
}

TEST(BenchSessionFakeChild, ChildThatCannotStartStopsTheSessionWithTheCommandNamed) {
  ScriptedRun broken;
  broken.cannot_start = true;
  FakeChildRunner runner({ScriptedRun{}, broken});
  Session session(std::vector<CommandSpec>{fake_command("a")}, fake_options(3, 0));
  session.set_child_runner(&runner);
  ResultsDocument doc;
  auto outcome = session.run(doc);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error().message, HasSubstr("command 'a': cannot start '/nonexistent/a'"));
  EXPECT_EQ(runner.calls, 2);
  EXPECT_EQ(doc.runs.size(), 1u);
}

TEST(BenchSessionFakeChild, WallPhasesAndRusageComeFromTheChildsResult) {
  ScriptedRun run;
  run.wall_ns = 10'000'000;
  run.max_rss_kb = 777;
  run.markers = {R"({"v":1,"t":{T},"kind":"phase","name":"load"})"};
  FakeChildRunner runner({run});
  Session session(std::vector<CommandSpec>{fake_command("a")}, fake_options(1, 0));
  session.set_child_runner(&runner);
  ResultsDocument doc;
  ASSERT_TRUE(session.run(doc).ok());
  ASSERT_EQ(runner.requests.size(), 1u);
  EXPECT_EQ(runner.requests[0].program, "/nonexistent/a");
  EXPECT_THAT(runner.requests[0].argv, ElementsAre("/nonexistent/a", "--flag"));
  ASSERT_EQ(doc.runs.size(), 1u);
  const RunRecord& record = doc.runs[0];
  EXPECT_DOUBLE_EQ(record.wall_ms, 10.0);
  EXPECT_DOUBLE_EQ(record.setup_ms, 0.1);
  EXPECT_EQ(record.usage.max_rss_kb, 777);
  ASSERT_EQ(record.phases.size(), 1u);
  EXPECT_EQ(record.phases[0].name, "load");
  EXPECT_DOUBLE_EQ(record.phases[0].end_ms, 5.0);
}

}  // namespace
}  // namespace coldbench::bench
