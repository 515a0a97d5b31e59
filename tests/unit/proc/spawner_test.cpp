// The spawner path (proc/spawner.hpp): a workload started from the spawner's
// small address space is still the harness's own child, and its max RSS is
// its own, not the harness's (with fork it was the harness's
// resident memory; with vfork it would be the harness's peak).

#include "proc/spawner.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>
#include <string>

#include "proc/spawn.hpp"

namespace coldbench::proc {
namespace {

class KeepLines : public OutputObserver {
 public:
  void on_marker_line(std::string_view, int64_t) override {}
  bool on_output_line(Stream, std::string_view line, int64_t) override {
    lines.emplace_back(line);
    return true;
  }
  std::vector<std::string> lines;
};

SpawnResult run_fixture(KeepLines& observer) {
  SpawnRequest request;
  request.program = CB_FIXTURE_PATH;
  request.argv = {"cb_fixture"};
  request.env = {"PATH=/usr/bin:/bin"};
  request.marker_pipe = false;
  request.timeout_s = 60;  // a safety net
  auto result = spawn_and_wait(request, observer);
  EXPECT_TRUE(result.ok()) << result.error().message;
  return result.ok() ? *result : SpawnResult{};
}

TEST(ProcSpawner, IsFoundBesideTheTestsOrDisabledByOff) {
  ASSERT_NE(Spawner::get(), nullptr) << "coldbench-spawner not built at " << CB_SPAWNER_PATH;
  const std::string saved = getenv("COLDBENCH_SPAWNER");
  Spawner::stop();
  setenv("COLDBENCH_SPAWNER", "off", 1);
  EXPECT_EQ(Spawner::get(), nullptr);
  setenv("COLDBENCH_SPAWNER", saved.c_str(), 1);
  EXPECT_NE(Spawner::get(), nullptr);
}

TEST(ProcSpawner, WorkloadIsTheHarnesssChildInItsOwnProcessGroup) {
  ASSERT_NE(Spawner::get(), nullptr);
  KeepLines observer;
  SpawnRequest request;
  request.program = "/bin/sh";
  request.argv = {"sh", "-c", "echo $PPID; cut -d' ' -f5 /proc/$$/stat"};
  request.env = {"PATH=/usr/bin:/bin"};
  request.timeout_s = 60;
  auto result = spawn_and_wait(request, observer);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(observer.lines.size(), 2u);
  EXPECT_EQ(observer.lines[0], std::to_string(getpid()));  // CLONE_PARENT: ours, not the spawner's
  EXPECT_EQ(observer.lines[1], std::to_string(result->pid));
  EXPECT_NE(result->pid, Spawner::get()->pid());
}

TEST(ProcSpawner, KilledSpawnerIsReplacedAndTheRunStillStarts) {
  Spawner* spawner = Spawner::get();
  ASSERT_NE(spawner, nullptr);
  const pid_t first = spawner->pid();
  ASSERT_EQ(kill(first, SIGKILL), 0);
  KeepLines observer;
  SpawnResult result = run_fixture(observer);  // this run forks: the spawner is found gone
  EXPECT_TRUE(WIFEXITED(result.wait_status));
  EXPECT_EQ(WEXITSTATUS(result.wait_status), 0);
  ASSERT_NE(Spawner::get(), nullptr);
  EXPECT_NE(Spawner::get()->pid(), first);
}

// A run does not wait for the spawner's answer (it comes after the child's
// time zero); the next request takes it. Runs back to back, a failed exec
// among them, must keep request and answer in step: one spawner throughout,
// every run its own child.
TEST(ProcSpawner, BackToBackRunsKeepRequestsAndAnswersInStep) {
  Spawner* spawner = Spawner::get();
  ASSERT_NE(spawner, nullptr);
  const pid_t spawner_pid = spawner->pid();
  KeepLines observer;
  std::vector<pid_t> pids;
  for (int i = 0; i < 30; ++i) {
    SpawnRequest request;
    request.program = i == 10 ? "/nonexistent/program" : "/bin/true";
    request.argv = {"true"};
    request.marker_pipe = false;
    request.timeout_s = 60;
    auto result = spawn_and_wait(request, observer);
    if (i == 10) {
      ASSERT_FALSE(result.ok());
      EXPECT_NE(result.error().message.find("cannot start '/nonexistent/program'"), std::string::npos)
          << result.error().message;
      continue;
    }
    ASSERT_TRUE(result.ok()) << "run " << i << ": " << result.error().message;
    EXPECT_TRUE(WIFEXITED(result->wait_status) && WEXITSTATUS(result->wait_status) == 0) << "run " << i;
    EXPECT_GE(result->spawn_ns, result->clone_ns);
    EXPECT_GE(result->end_ns, result->spawn_ns);
    pids.push_back(result->pid);
  }
  ASSERT_NE(Spawner::get(), nullptr);
  EXPECT_EQ(Spawner::get()->pid(), spawner_pid) << "the spawner was restarted: a reply went out of step";
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(std::adjacent_find(pids.begin(), pids.end()), pids.end()) << "two runs reported the same pid";
}

// The regression test for the workload's own max RSS: the same tiny workload
// before and after the harness touched 256 MiB; the second must stay near the
// first (the control), far below the harness.
// (With COLDBENCH_SPAWNER=off it runs on the fork path, and fails.)
TEST(ProcSpawner, TinyWorkloadOfALargeHarnessRecordsItsOwnMaxRss) {
  KeepLines observer;
  const long control_kb = run_fixture(observer).usage.ru_maxrss;
  ASSERT_GT(control_kb, 0);

  constexpr std::size_t kHarnessBytes = std::size_t{256} << 20;
  constexpr long kHarnessKb = static_cast<long>(kHarnessBytes >> 10);
  void* block = mmap(nullptr, kHarnessBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(block, MAP_FAILED);
  std::memset(block, 1, kHarnessBytes);  // resident, and the harness's peak
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  ASSERT_GE(self.ru_maxrss, kHarnessKb);

  const long large_kb = run_fixture(observer).usage.ru_maxrss;
  EXPECT_LT(large_kb, control_kb + kHarnessKb / 8)
      << "a " << control_kb << " KiB workload recorded " << large_kb << " KiB beside a " << self.ru_maxrss
      << " KiB harness";
  munmap(block, kHarnessBytes);
}

}  // namespace
}  // namespace coldbench::proc
