#include "proc/descendants.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "proc/watchdog.hpp"

namespace coldbench::proc {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ProcDescendants, ParsesStatWithSpacesAndParenthesesInTheName) {
  ProcessEntry entry;
  ASSERT_TRUE(parse_proc_stat("4242 (my (odd) name) S 17 4242 4242 0 -1 4194560", entry));
  EXPECT_EQ(entry.pid, 4242);
  EXPECT_EQ(entry.state, 'S');
  EXPECT_EQ(entry.ppid, 17);
  EXPECT_EQ(entry.pgid, 4242);
  EXPECT_FALSE(parse_proc_stat("", entry));
  EXPECT_FALSE(parse_proc_stat("12 (x", entry));
}

TEST(ProcDescendants, ProcessTableHoldsUsAndOurParent) {
  auto table = read_process_table();
  auto self = std::find_if(table.begin(), table.end(), [](const auto& e) { return e.pid == getpid(); });
  ASSERT_NE(self, table.end());
  EXPECT_EQ(self->ppid, getppid());
  EXPECT_EQ(self->pgid, getpgrp());
}

// The group, the tagged (setsid'd) ones and all their descendants; never zombies or strangers.
TEST(ProcDescendants, RunProcessesFollowGroupTagAndParentage) {
  std::vector<ProcessEntry> table = {
      {1, 0, 1, 'S'},       // init
      {100, 1, 100, 'S'},   // the run's main process, its own group
      {101, 100, 100, 'S'}, // a child in the group
      {102, 101, 102, 'S'}, // setsid'd grandchild: found through its parent
      {103, 102, 102, 'S'}, // and its child
      {200, 1, 200, 'S'},   // an orphaned daemon of the run: found by its tag
      {201, 200, 201, 'S'}, // its child
      {300, 1, 300, 'S'},   // a stranger
      {104, 100, 100, 'Z'}, // a zombie: already dead
  };
  auto tagged = [](pid_t pid) { return pid == 200; };
  EXPECT_THAT(run_processes(table, 100, tagged), ElementsAre(100, 101, 102, 103, 200, 201));
  EXPECT_THAT(run_processes(table, 0, nullptr), IsEmpty());
}

TEST(ProcDescendants, EnvironHasMatchesWholeEntriesOnly) {
  setenv("CB_DESCENDANTS_TEST", "abc", 1);
  // /proc/self/environ shows the environment we were started with, not setenv's.
  EXPECT_FALSE(environ_has(getpid(), "CB_DESCENDANTS_TEST=abc"));
  pid_t child = fork();
  if (child == 0) {
    char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("10"), nullptr};
    char* envp[] = {const_cast<char*>("CB_TAG=run-7"), nullptr};
    execve("/bin/sleep", argv, envp);
    _exit(127);
  }
  // Until the exec, the child's environ is ours: wait for it to change.
  bool seen = false;
  for (int i = 0; i < 500 && !seen; ++i) {
    seen = environ_has(child, "CB_TAG=run-7");
    if (!seen) usleep(10'000);
  }
  EXPECT_TRUE(seen);
  EXPECT_FALSE(environ_has(child, "CB_TAG=run-"));
  EXPECT_FALSE(environ_has(child, "CB_TAG=run-77"));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

TEST(ProcDescendants, EndChildrenExceptEndsOnlyTheNewOnes) {
  pid_t kept = fork();
  if (kept == 0) {
    pause();
    _exit(0);
  }
  std::vector<pid_t> before = child_pids();
  ASSERT_NE(std::find(before.begin(), before.end(), kept), before.end());
  pid_t extra = fork();
  if (extra == 0) {
    pause();
    _exit(0);
  }
  EXPECT_EQ(end_children_except(before), 1);
  EXPECT_EQ(kill(extra, 0), -1) << "the new child is killed and reaped";
  EXPECT_EQ(kill(kept, 0), 0) << "the child we had before is left alone";
  kill(kept, SIGKILL);
  waitpid(kept, nullptr, 0);
}

TEST(ProcDescendants, WaitForChildrenReapsThoseThatFinishOnTheirOwn) {
  pid_t kept = fork();
  if (kept == 0) {
    pause();
    _exit(0);
  }
  std::vector<pid_t> before = child_pids();
  pid_t finishing = fork();  // an engine helper with a little work left
  if (finishing == 0) {
    usleep(100'000);
    _exit(0);
  }
  // A grace far beyond its work: the call returns when it exits, and kills nothing.
  EXPECT_EQ(wait_for_children_except(before, 120), 0);
  EXPECT_EQ(kill(finishing, 0), -1) << "it exited and was reaped";
  EXPECT_EQ(kill(kept, 0), 0) << "the child we had before is left alone";
  kill(kept, SIGKILL);
  waitpid(kept, nullptr, 0);
}

TEST(ProcDescendants, WaitForChildrenKillsWhatOutlivesTheGrace) {
  std::vector<pid_t> before = child_pids();
  pid_t stuck = fork();
  if (stuck == 0) {
    pause();
    _exit(0);
  }
  EXPECT_EQ(wait_for_children_except(before, 0.05), 1);
  EXPECT_EQ(kill(stuck, 0), -1) << "killed and reaped after the grace";
}

TEST(ProcWatchdog, MessagesRoundTrip) {
  WatchedRun run{4321, "COLDBENCH_RUN_ID=99-3", {"/sys/fs/cgroup/a", "/sys/fs/cgroup/b"}};
  WatchedRun decoded;
  bool started = false;
  ASSERT_TRUE(decode_message(encode_run_started(run), decoded, started));
  EXPECT_TRUE(started);
  EXPECT_EQ(decoded.pgid, 4321);
  EXPECT_EQ(decoded.tag, "COLDBENCH_RUN_ID=99-3");
  EXPECT_THAT(decoded.cgroup_dirs, ElementsAre("/sys/fs/cgroup/a", "/sys/fs/cgroup/b"));
  ASSERT_TRUE(decode_message("end\n", decoded, started));
  EXPECT_FALSE(started);
  EXPECT_FALSE(decode_message("start\n0\n\n", decoded, started));
  EXPECT_FALSE(decode_message("start\n12", decoded, started));
}

TEST(ProcWatchdog, RunsOutsideOurChildren) {
  // Not our child: the discovery tracer's waitpid(-1) and the run-end sweep of
  // children must never see it.
  const RunWatchdog& watchdog = RunWatchdog::instance();
  ASSERT_GT(watchdog.pid(), 0);
  EXPECT_EQ(kill(watchdog.pid(), 0), 0);
  auto children = child_pids();
  EXPECT_EQ(std::find(children.begin(), children.end(), watchdog.pid()), children.end());
}

}  // namespace
}  // namespace coldbench::proc
