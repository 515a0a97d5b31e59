#include "proc/spawn.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace coldbench::proc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

struct Line {
  Stream stream;
  std::string text;
};

// Records everything; hides "@coldbench " lines like the real observer.
class RecordingObserver : public OutputObserver {
 public:
  void on_marker_line(std::string_view line, int64_t) override { markers.emplace_back(line); }
  bool on_output_line(Stream stream, std::string_view line, int64_t received_ns) override {
    lines.push_back(Line{stream, std::string(line)});
    last_received_ns = received_ns;
    return line.substr(0, 11) != "@coldbench ";
  }
  std::vector<std::string> texts(Stream stream) const {
    std::vector<std::string> out;
    for (const auto& l : lines) {
      if (l.stream == stream) out.push_back(l.text);
    }
    return out;
  }

  std::vector<Line> lines;
  std::vector<std::string> markers;
  int64_t last_received_ns = 0;
};

SpawnRequest fixture(std::vector<std::string> steps) {
  SpawnRequest request;
  request.program = CB_FIXTURE_PATH;
  request.argv = {"cb_fixture"};
  request.argv.insert(request.argv.end(), steps.begin(), steps.end());
  request.env = {"COLDBENCH_FD=3", "PATH=/usr/bin:/bin"};
  request.timeout_s = 30;  // a safety net; no test comes close
  return request;
}

SpawnRequest shell(const std::string& script) {
  SpawnRequest request;
  request.program = "/bin/sh";
  request.argv = {"sh", "-c", script};
  request.env = {"PATH=/usr/bin:/bin", std::string("CB_FIXTURE=") + CB_FIXTURE_PATH};
  request.timeout_s = 30;
  return request;
}

SpawnResult run(const SpawnRequest& request, RecordingObserver& observer) {
  auto result = spawn_and_wait(request, observer);
  EXPECT_TRUE(result.ok()) << result.error().message;
  return result.ok() ? *result : SpawnResult{};
}

// True once `pid` is gone or a zombie nobody reaps (PID 1 in a container may not).
// Polls for up to 30 s: a safety net for a loaded machine, not a bound on how fast.
bool process_gone(pid_t pid) {
  for (int i = 0; i < 3000; ++i) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), {});
    auto close_paren = content.rfind(')');
    if (close_paren != std::string::npos && content.size() > close_paren + 2 &&
        content[close_paren + 2] == 'Z') {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(ProcSpawn, ReportsTheExitCode) {
  RecordingObserver observer;
  SpawnResult r = run(fixture({"exit:3"}), observer);
  ASSERT_TRUE(WIFEXITED(r.wait_status));
  EXPECT_EQ(WEXITSTATUS(r.wait_status), 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_GT(r.pid, 0);
  EXPECT_GE(r.end_ns, r.spawn_ns);
}

// Crashing fixtures must not leave core files behind.
class NoCoreDump : public ChildSetup {
 public:
  int apply_in_child() noexcept override {
    rlimit none{0, 0};
    return setrlimit(RLIMIT_CORE, &none) == 0 ? 0 : errno;
  }
  std::string describe() const override { return "disabling core dumps"; }
};

TEST(ProcSpawn, ReportsTheSignal) {
  NoCoreDump no_core;
  RecordingObserver observer;
  SpawnRequest crash = fixture({"crash"});
  crash.child_setup = {&no_core};
  SpawnResult r = run(crash, observer);
  ASSERT_TRUE(WIFSIGNALED(r.wait_status));
  EXPECT_EQ(WTERMSIG(r.wait_status), SIGSEGV);
  SpawnRequest abort = fixture({"abort"});
  abort.child_setup = {&no_core};
  SpawnResult a = run(abort, observer);
  ASSERT_TRUE(WIFSIGNALED(a.wait_status));
  EXPECT_EQ(WTERMSIG(a.wait_status), SIGABRT);
}

TEST(ProcSpawn, WallTimeCoversTheWorkload) {
  RecordingObserver observer;
  SpawnResult r = run(fixture({"sleep:100"}), observer);
  EXPECT_GE(r.wall_ms(), 100.0);
  EXPECT_GE(r.usage.ru_maxrss, 1);  // rusage of the child came back
}

TEST(ProcSpawn, TimeoutKillsTheWholeGroup) {
  RecordingObserver observer;
  // The shell starts a background hang, prints its pid, then hangs itself.
  SpawnRequest request = shell("\"$CB_FIXTURE\" hang & echo $!; exec \"$CB_FIXTURE\" hang");
  // Long enough for the shell to print under any load (the pid must be read
  // before the kill); what is tested is that the whole group dies.
  request.timeout_s = 3;
  SpawnResult r = run(request, observer);
  EXPECT_TRUE(r.timed_out);
  ASSERT_TRUE(WIFSIGNALED(r.wait_status));
  EXPECT_EQ(WTERMSIG(r.wait_status), SIGKILL);
  EXPECT_GE(r.wall_ms(), 3000.0);
  auto out = observer.texts(Stream::Stdout);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(process_gone(static_cast<pid_t>(std::stol(out[0]))))
      << "background child " << out[0] << " survived";
}

TEST(ProcSpawn, OutputAndMarkersReachTheObserver) {
  RecordingObserver observer;
  SpawnResult r =
      run(fixture({"print:hello", "eprint:oops", "phase:load", "stdout-phase:ready", "print:bye"}),
          observer);
  EXPECT_THAT(observer.texts(Stream::Stdout),
              ElementsAre("hello", HasSubstr("\"name\":\"ready\""), "bye"));
  EXPECT_THAT(observer.texts(Stream::Stderr), ElementsAre("oops"));
  ASSERT_EQ(observer.markers.size(), 1u);
  EXPECT_THAT(observer.markers[0], HasSubstr("\"kind\":\"phase\",\"name\":\"load\""));
  EXPECT_GE(observer.last_received_ns, r.spawn_ns);
  // The "@coldbench " line the observer hid is not in the tail. Order across
  // the two pipes depends on when each is read, so only each stream's is fixed.
  EXPECT_THAT(r.tail, UnorderedElementsAre("hello", "oops", "bye"));
  EXPECT_LT(std::find(r.tail.begin(), r.tail.end(), "hello"),
            std::find(r.tail.begin(), r.tail.end(), "bye"));
  EXPECT_THAT(r.tail_text(), HasSubstr("oops\n"));
}

TEST(ProcSpawn, WithoutMarkerPipeNoMarkerLinesArrive) {
  RecordingObserver observer;
  SpawnRequest request = fixture({"phase:load", "print:done"});
  request.marker_pipe = false;
  request.env = {"PATH=/usr/bin:/bin"};
  SpawnResult r = run(request, observer);
  EXPECT_TRUE(WIFEXITED(r.wait_status));
  EXPECT_THAT(observer.markers, IsEmpty());
  EXPECT_THAT(observer.texts(Stream::Stdout), ElementsAre("done"));
}

TEST(ProcSpawn, TailKeepsOnlyTheLastLines) {
  RecordingObserver observer;
  std::vector<std::string> steps;
  for (int i = 1; i <= 30; ++i) steps.push_back("print:line " + std::to_string(i));
  SpawnRequest request = fixture(steps);
  request.tail_lines = 5;
  SpawnResult r = run(request, observer);
  EXPECT_EQ(observer.lines.size(), 30u);
  EXPECT_THAT(r.tail, ElementsAre("line 26", "line 27", "line 28", "line 29", "line 30"));
  request.tail_lines = 0;
  EXPECT_THAT(run(request, observer).tail, IsEmpty());
}

TEST(ProcSpawn, LastLineWithoutNewlineIsDelivered) {
  RecordingObserver observer;
  run(shell("printf 'one\\ntwo'"), observer);
  EXPECT_THAT(observer.texts(Stream::Stdout), ElementsAre("one", "two"));
}

TEST(ProcSpawn, CwdAndEnvironmentAreApplied) {
  auto dir = std::filesystem::canonical(std::filesystem::temp_directory_path());
  RecordingObserver observer;
  SpawnRequest request = shell("pwd; echo \"$FOO\"; echo \"${HOME-unset}\"");
  request.cwd = dir.string();
  request.env = {"PATH=/usr/bin:/bin", "FOO=bar baz"};
  run(request, observer);
  EXPECT_THAT(observer.texts(Stream::Stdout), ElementsAre(dir.string(), "bar baz", "unset"));
}

TEST(ProcSpawn, StdinIsDevNull) {
  RecordingObserver observer;
  SpawnResult r = run(shell("readlink /proc/self/fd/0; cat; echo eof"), observer);
  EXPECT_FALSE(r.timed_out);
  EXPECT_THAT(observer.texts(Stream::Stdout), ElementsAre("/dev/null", "eof"));
}

TEST(ProcSpawn, ExecFailureIsAnError) {
  RecordingObserver observer;
  SpawnRequest request = fixture({});
  request.program = "/nonexistent/dir/program";
  auto r = spawn_and_wait(request, observer);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("cannot start '/nonexistent/dir/program'"));
  EXPECT_THAT(r.error().message, HasSubstr(std::strerror(ENOENT)));
}

TEST(ProcSpawn, MissingCwdIsAnErrorNamingTheDirectory) {
  RecordingObserver observer;
  SpawnRequest request = fixture({});
  request.cwd = "/nonexistent/cwd";
  auto r = spawn_and_wait(request, observer);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("cannot change to directory '/nonexistent/cwd'"));
}

class FileTouchSetup : public ChildSetup {
 public:
  explicit FileTouchSetup(std::string path) : path_(std::move(path)) {}
  int apply_in_child() noexcept override {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
  }
  std::string describe() const override { return "creating " + path_; }

 private:
  std::string path_;
};

class FailingSetup : public ChildSetup {
 public:
  int apply_in_child() noexcept override { return EPERM; }
  std::string describe() const override { return "joining cgroup /sys/fs/cgroup/test"; }
};

class DieSetup : public ChildSetup {
 public:
  int apply_in_child() noexcept override {
    raise(SIGKILL);
    return 0;
  }
  std::string describe() const override { return "dying"; }
};

// A child that dies before it reports (here in a setup step) is an error
// that says so, not a wait for a report that never comes.
TEST(ProcSpawn, ChildKilledBeforeItsTimeZeroIsAnErrorNotAHang) {
  DieSetup die;
  RecordingObserver observer;
  SpawnRequest request = fixture({"print:should not run"});
  request.child_setup = {&die};
  auto r = spawn_and_wait(request, observer);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("died before it could exec"));
  EXPECT_THAT(observer.lines, IsEmpty());
}

TEST(ProcSpawn, ChildSetupStepsRunBeforeExec) {
  auto marker = std::filesystem::temp_directory_path() / ("cb_setup_" + std::to_string(getpid()));
  std::filesystem::remove(marker);
  FileTouchSetup touch(marker.string());
  RecordingObserver observer;
  SpawnRequest request = fixture({"exit:0"});
  request.child_setup = {&touch};
  SpawnResult r = run(request, observer);
  EXPECT_TRUE(WIFEXITED(r.wait_status));
  EXPECT_TRUE(std::filesystem::exists(marker));
  std::filesystem::remove(marker);
}

TEST(ProcSpawn, FailingChildSetupIsAnErrorNamingTheStep) {
  auto marker = std::filesystem::temp_directory_path() / ("cb_setup2_" + std::to_string(getpid()));
  FileTouchSetup touch(marker.string());
  FailingSetup failing;
  RecordingObserver observer;
  SpawnRequest request = fixture({"print:should not run"});
  request.child_setup = {&touch, &failing};
  auto r = spawn_and_wait(request, observer);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("joining cgroup /sys/fs/cgroup/test failed"));
  EXPECT_THAT(r.error().message, HasSubstr(std::strerror(EPERM)));
  EXPECT_THAT(r.error().message, Not(HasSubstr("creating")));
  EXPECT_THAT(observer.lines, IsEmpty());
  std::filesystem::remove(marker);
}

TEST(ProcSpawn, VeryLongLineIsDeliveredInPieces) {
  RecordingObserver observer;
  SpawnResult r = run(shell("head -c 200000 /dev/zero | tr '\\0' x"), observer);
  ASSERT_TRUE(WIFEXITED(r.wait_status));
  auto pieces = observer.texts(Stream::Stdout);
  ASSERT_GE(pieces.size(), 2u);
  std::size_t total = 0;
  for (const auto& p : pieces) {
    EXPECT_LE(p.size(), 64u * 1024);
    EXPECT_EQ(p.find_first_not_of('x'), std::string::npos);
    total += p.size();
  }
  EXPECT_EQ(total, 200000u);
  ASSERT_FALSE(r.tail.empty());
  EXPECT_LE(r.tail.back().size(), 1000u);  // the tail keeps a line's start only
}

TEST(ProcSpawn, LineOfExactlyTheMaximumLengthGivesNoExtraEmptyLine) {
  RecordingObserver observer;
  run(shell("head -c 65536 /dev/zero | tr '\\0' x; echo; echo next"), observer);
  auto lines = observer.texts(Stream::Stdout);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], std::string(65536, 'x'));
  EXPECT_EQ(lines[1], "next");
}

TEST(ProcSpawn, EmptyLinesAreKept) {
  RecordingObserver observer;
  run(shell("printf 'a\\n\\n\\nb\\n'"), observer);
  EXPECT_THAT(observer.texts(Stream::Stdout), ElementsAre("a", "", "", "b"));
}

TEST(ProcSpawn, InterruptKillsTheRunAndIsReported) {
  struct sigaction old_int {
  }, old_term{}, old_pipe{};
  sigaction(SIGINT, nullptr, &old_int);
  sigaction(SIGTERM, nullptr, &old_term);
  sigaction(SIGPIPE, nullptr, &old_pipe);
  install_interrupt_handler();
  RecordingObserver observer;
  // The workload interrupts its harness (us), as Ctrl-C would, then hangs.
  SpawnResult r = run(shell("kill -INT $PPID; exec \"$CB_FIXTURE\" hang"), observer);
  bool requested = interrupt_requested();
  clear_interrupt();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  EXPECT_TRUE(requested);
  EXPECT_TRUE(r.interrupted);
  EXPECT_FALSE(r.timed_out);
  ASSERT_TRUE(WIFSIGNALED(r.wait_status));
  EXPECT_EQ(WTERMSIG(r.wait_status), SIGKILL);
  EXPECT_FALSE(interrupt_requested());
}

TEST(ProcSpawn, ReturnsWhenTheChildExitsEvenIfAGrandchildHoldsThePipes) {
  // The background hang keeps stdout and the marker fd open forever; without
  // the timeout as a safety net the call would never return if it waited for EOF.
  RecordingObserver observer;
  SpawnRequest request = shell("\"$CB_FIXTURE\" hang & echo $!; echo started; exit 4");
  SpawnResult r = run(request, observer);
  EXPECT_FALSE(r.timed_out);
  ASSERT_TRUE(WIFEXITED(r.wait_status));
  EXPECT_EQ(WEXITSTATUS(r.wait_status), 4);
  auto out = observer.texts(Stream::Stdout);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], "started");
  EXPECT_TRUE(process_gone(static_cast<pid_t>(std::stol(out[0])))) << "stray grandchild survived";
}

}  // namespace
}  // namespace coldbench::proc

namespace coldbench::proc {
namespace {

// An observer as slow per line as a costly --phase/--metric rule.
class SlowObserver : public RecordingObserver {
 public:
  explicit SlowObserver(std::chrono::milliseconds per_line, int interrupt_after = -1)
      : per_line_(per_line), interrupt_after_(interrupt_after) {}
  bool on_output_line(Stream stream, std::string_view line, int64_t received_ns) override {
    if (static_cast<int>(lines.size()) == interrupt_after_) ::raise(SIGINT);
    std::this_thread::sleep_for(per_line_);
    return RecordingObserver::on_output_line(stream, line, received_ns);
  }

 private:
  std::chrono::milliseconds per_line_;
  int interrupt_after_;
};

// Found in review: the harness worked through every line already read before
// it looked at the deadline again, so slow rules kept a run going past --timeout.
TEST(ProcSpawn, OutputReadPastTheDeadlineIsNotProcessed) {
  SlowObserver observer(std::chrono::milliseconds(50));
  SpawnRequest request = shell("seq 100; exec \"$CB_FIXTURE\" hang");
  request.timeout_s = 0.3;
  SpawnResult r = run(request, observer);
  EXPECT_TRUE(r.timed_out);
  // 100 lines at 50 ms would take 5 s; the deadline stops the work at about the 6th.
  EXPECT_LT(observer.lines.size(), 100u);
}

TEST(ProcSpawn, OutputReadAfterAnInterruptIsNotProcessed) {
  struct sigaction old_int {
  }, old_term{}, old_pipe{};
  sigaction(SIGINT, nullptr, &old_int);
  sigaction(SIGTERM, nullptr, &old_term);
  sigaction(SIGPIPE, nullptr, &old_pipe);
  install_interrupt_handler();
  SlowObserver observer(std::chrono::milliseconds(1), /*interrupt_after=*/5);
  SpawnResult r = run(shell("seq 100; exec \"$CB_FIXTURE\" hang"), observer);
  clear_interrupt();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(observer.lines.size(), 6u);  // the line being handled when Ctrl-C came, then nothing
}

TEST(ProcSpawn, TailCutsALongLineAtACharacterBoundary) {
  RecordingObserver observer;
  // 999 bytes, then a 2-byte character across the 1000-byte cut.
  SpawnResult r = run(shell("head -c 999 /dev/zero | tr '\\0' x; printf '\\303\\251 end\\n'"), observer);
  ASSERT_EQ(r.tail.size(), 1u);
  EXPECT_EQ(r.tail[0], std::string(999, 'x'));
}

}  // namespace
}  // namespace coldbench::proc
