// Nothing of a run outlives it: the audit found a `setsid sleep 1000 &` of a
// finished run still running, and host-mode workloads of a killed harness
// running on with parent 1.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "../cache/temp_dir.hpp"
#include "proc/descendants.hpp"
#include "proc/spawn.hpp"

namespace coldbench::proc {
namespace {

class NullObserver : public OutputObserver {
 public:
  void on_marker_line(std::string_view, int64_t) override {}
  bool on_output_line(Stream, std::string_view, int64_t) override { return true; }
};

SpawnRequest shell(const std::string& script) {
  SpawnRequest request;
  request.program = "/bin/sh";
  request.argv = {"sh", "-c", script};
  request.env = {"PATH=/usr/bin:/bin"};
  request.marker_pipe = false;
  request.timeout_s = 30;  // a safety net
  return request;
}

// A script line that starts `setsid sh` writing its pid to `file`, then sleeping.
std::string daemon_writing_pid(const std::string& file) {
  return "setsid sh -c 'echo $$ > " + file + ".tmp && mv " + file + ".tmp " + file + "; exec sleep 1000'";
}

std::string wait_for_file(const std::string& file) { return "while [ ! -s " + file + " ]; do sleep 0.01; done"; }

pid_t read_pid(const std::string& file) {
  std::ifstream in(file);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// Gone, or a zombie nobody reaps; polled with a generous deadline.
bool gone_soon(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    ProcessEntry entry;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    if (text.empty() || (parse_proc_stat(text, entry) && entry.state == 'Z')) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(ProcRunCleanup, SetsidDescendantOfAFinishedRunIsEnded) {
  testing::TempDir dir;
  std::string file = dir.file("daemon.pid");
  NullObserver observer;
  auto result = spawn_and_wait(shell(daemon_writing_pid(file) + " & " + wait_for_file(file) + "; exit 0"), observer);
  ASSERT_TRUE(result.ok()) << result.error().message;
  pid_t daemon = read_pid(file);
  ASSERT_GT(daemon, 0);
  EXPECT_TRUE(gone_soon(daemon)) << "setsid descendant " << daemon << " outlived its run";
}

TEST(ProcRunCleanup, OrphanAdoptedDuringTheRunIsEndedWithIt) {
  // The subshell exits at once: its setsid child is orphaned mid-run and,
  // the harness being a subreaper, becomes the harness's child.
  testing::TempDir dir;
  std::string file = dir.file("orphan.pid");
  NullObserver observer;
  auto result =
      spawn_and_wait(shell("(" + daemon_writing_pid(file) + " &); " + wait_for_file(file) + "; sleep 0.1"), observer);
  ASSERT_TRUE(result.ok()) << result.error().message;
  pid_t orphan = read_pid(file);
  ASSERT_GT(orphan, 0);
  EXPECT_TRUE(gone_soon(orphan)) << "orphan " << orphan << " outlived its run";
}

TEST(ProcRunCleanup, ChildrenWeHadBeforeTheRunAreLeftAlone) {
  pid_t ours = fork();
  if (ours == 0) {
    pause();
    _exit(0);
  }
  NullObserver observer;
  auto result = spawn_and_wait(shell("exit 0"), observer);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(kill(ours, 0), 0);
  kill(ours, SIGKILL);
  waitpid(ours, nullptr, 0);
}

}  // namespace
}  // namespace coldbench::proc
