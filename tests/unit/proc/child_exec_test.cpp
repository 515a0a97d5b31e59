// The control socket between a workload child and the harness
// (proc/child_start.hpp): the child takes its time zero only after "go", an
// exec failure is read after the reap, and a harness gone before "go" ends
// the child without exec. A plain fork plays the harness's clone here.

#include "proc/child_exec.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "proc/child_start.hpp"

namespace coldbench::proc {
namespace {

struct Forked {
  pid_t pid = -1;
  int control = -1;  // the harness's end
};

// Forks a child that runs child::exec on `program` with `argv`.
Forked fork_exec(const char* program, char* const* argv) {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(ends[0]);
    char* const envp[] = {const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
    child::exec(ends[1], program, argv, envp);
  }
  close(ends[1]);
  return Forked{pid, ends[0]};
}

int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

TEST(ChildStart, TimeZeroIsTakenAfterGo) {
  char* const argv[] = {const_cast<char*>("true"), nullptr};
  Forked child = fork_exec("/bin/true", argv);
  ASSERT_GT(child.pid, 0);
  const StartReport start = read_start(child.control);
  ASSERT_TRUE(start.started);
  EXPECT_EQ(start.pid, child.pid);
  // Whatever the harness does now is before the child's time zero.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const int64_t go_ns = monotonic_ns();
  ASSERT_TRUE(send_go(child.control));
  const int status = reap(child.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const ExecOutcome outcome = read_exec_outcome(child.control);
  EXPECT_FALSE(outcome.failed);
  EXPECT_GE(outcome.spawn_ns, go_ns) << "the child took its time zero before it was let go";
  close(child.control);
}

TEST(ChildStart, ExecFailureIsReadAfterTheReap) {
  char* const argv[] = {const_cast<char*>("missing"), nullptr};
  Forked child = fork_exec("/nonexistent/missing", argv);
  ASSERT_GT(child.pid, 0);
  ASSERT_TRUE(read_start(child.control).started);  // it cannot know yet
  ASSERT_TRUE(send_go(child.control));
  const int status = reap(child.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 127);
  const ExecOutcome outcome = read_exec_outcome(child.control);
  EXPECT_TRUE(outcome.failed);
  EXPECT_EQ(outcome.stage, -1);
  EXPECT_EQ(outcome.error, ENOENT);
  EXPECT_GT(outcome.spawn_ns, 0);  // it got as far as its time zero
  close(child.control);
}

TEST(ChildStart, HarnessGoneBeforeGoEndsTheChildWithoutExec) {
  const auto witness = std::filesystem::temp_directory_path() / ("cb_go_" + std::to_string(getpid()));
  std::filesystem::remove(witness);
  const std::string touch = "touch " + witness.string();
  char* const argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"), const_cast<char*>(touch.c_str()),
                        nullptr};
  Forked child = fork_exec("/bin/sh", argv);
  ASSERT_GT(child.pid, 0);
  ASSERT_TRUE(read_start(child.control).started);
  close(child.control);  // as if the harness had died
  const int status = reap(child.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 127);
  EXPECT_FALSE(std::filesystem::exists(witness)) << "the workload ran without its harness";
  std::filesystem::remove(witness);
}

}  // namespace
}  // namespace coldbench::proc
