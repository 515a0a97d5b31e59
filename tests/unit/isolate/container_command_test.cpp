#include "isolate/container_command.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace coldbench::isolate {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using Pairs = std::vector<std::pair<std::string, std::string>>;

ContainerRun minimal_run() {
  ContainerRun run;
  run.client = "/usr/bin/docker";
  run.image = "debian:12";
  run.command = {"python3", "bench.py", "--iters", "10"};
  run.name = container_name(4242, 7);
  return run;
}

TEST(ContainerNameTest, IsUniquePerHarnessAndRun) {
  EXPECT_EQ(container_name(4242, 7), "coldbench-4242-7");
  EXPECT_NE(container_name(4242, 7), container_name(4242, 8));
  EXPECT_NE(container_name(4242, 7), container_name(4243, 7));
}

TEST(ContainerRunArgvTest, MinimalCommand) {
  EXPECT_THAT(container_run_argv(minimal_run()),
              ElementsAre("/usr/bin/docker", "run", "--rm", "--name", "coldbench-4242-7",
                          "debian:12", "python3", "bench.py", "--iters", "10"));
}

TEST(ContainerRunArgvTest, LimitsBecomeEngineFlags) {
  ContainerRun run = minimal_run();
  run.limits.cpus = 0.5;
  run.limits.cpuset = "0-1,3";
  run.limits.memory_bytes = 64ll << 20;
  EXPECT_THAT(container_run_argv(run),
              ElementsAre("/usr/bin/docker", "run", "--rm", "--name", "coldbench-4242-7", "--cpus",
                          "0.5", "--cpuset-cpus", "0-1,3", "--memory", "67108864", "--memory-swap",
                          "67108864", "debian:12", "python3", "bench.py", "--iters", "10"));
}

TEST(ContainerRunArgvTest, WholeAndFractionalCpuCounts) {
  ContainerRun run = minimal_run();
  run.limits.cpus = 2.0;
  auto argv = container_run_argv(run);
  EXPECT_EQ(argv[6], "2");
  run.limits.cpus = 1.25;
  EXPECT_EQ(container_run_argv(run)[6], "1.25");
}

TEST(ContainerRunArgvTest, EnvMountsAndWorkdirPrecedeTheImage) {
  ContainerRun run = minimal_run();
  run.client = "/usr/bin/podman";
  run.env = {{"OMP_NUM_THREADS", "2"}, {"COLDBENCH_MARKERS", "stdout"}};
  run.mounts = {{"/data/models", "/models", true}, {"/home/u/proj", "/proj", false}};
  run.workdir = "/proj";
  EXPECT_THAT(container_run_argv(run),
              ElementsAre("/usr/bin/podman", "run", "--rm", "--name", "coldbench-4242-7", "-e",
                          "OMP_NUM_THREADS=2", "-e", "COLDBENCH_MARKERS=stdout", "-v",
                          "/data/models:/models:ro", "-v", "/home/u/proj:/proj", "-w", "/proj",
                          "debian:12", "python3", "bench.py", "--iters", "10"));
}

TEST(ContainerRunArgvTest, CommandWordsThatLookLikeFlagsStayAfterTheImage) {
  ContainerRun run = minimal_run();
  run.command = {"sh", "-c", "echo --rm $HOME"};
  auto argv = container_run_argv(run);
  EXPECT_THAT(std::vector<std::string>(argv.end() - 4, argv.end()),
              ElementsAre("debian:12", "sh", "-c", "echo --rm $HOME"));
}

TEST(ContainerEnvironmentTest, InheritedHostVariablesStayOut) {
  std::vector<std::string> host = {"PATH=/usr/bin", "HOME=/root", "SECRET_TOKEN=x",
                                   "OMP_NUM_THREADS=16", "LANG=C"};
  std::vector<std::string> run_env = host;
  run_env.insert(run_env.end(), {"MODEL=resnet18", "COLDBENCH_FD=3", "COLDBENCH_RUN_ID=99-3"});
  run_env[4] = "LANG=C.UTF-8";
  auto env =
      container_environment({{"MODEL", "resnet18"}, {"LANG", "C.UTF-8"}}, run_env, host, {}, true);
  EXPECT_THAT(env, ElementsAreArray(Pairs{{"MODEL", "resnet18"},
                                          {"LANG", "C.UTF-8"},
                                          {"COLDBENCH_MARKERS", "stdout"},
                                          {"COLDBENCH_RUN_ID", "99-3"}}));
}

TEST(ContainerEnvironmentTest, VariablesSetForTheRunGoIn) {
  // A sweep's per-config env reaches the run environment without --env.
  std::vector<std::string> host = {"PATH=/usr/bin", "BATCH=1"};
  auto env =
      container_environment({}, {"PATH=/usr/bin", "BATCH=8", "MODE=frozen"}, host, {}, false);
  EXPECT_THAT(env, ElementsAreArray(Pairs{{"BATCH", "8"}, {"MODE", "frozen"}}));
}

TEST(ContainerEnvironmentTest, UserEnvGoesInEvenWhenTheHostHasTheSameValue) {
  std::vector<std::string> host = {"LANG=C"};
  auto env = container_environment({{"LANG", "C"}}, {"LANG=C"}, host, {}, false);
  EXPECT_THAT(env, ElementsAreArray(Pairs{{"LANG", "C"}}));
}

TEST(ContainerEnvironmentTest, OnlyTheRunIdWithoutMarkers) {
  auto env = container_environment({{"A", "1"}}, {"A=1", "COLDBENCH_FD=3", "COLDBENCH_RUN_ID=1-0"},
                                   {}, {}, false);
  EXPECT_THAT(env, ElementsAreArray(Pairs{{"A", "1"}, {"COLDBENCH_RUN_ID", "1-0"}}));
}

TEST(ContainerEnvironmentTest, ThreadVariablesComeWithThreadsEvenIfTheHostHasThem) {
  std::vector<std::string> host = {"OMP_NUM_THREADS=2", "MKL_NUM_THREADS=2",
                                   "OPENBLAS_NUM_THREADS=2"};
  std::vector<std::string> run_env = host;
  run_env.push_back("COLDBENCH_RUN_ID=5-1");
  limits::LimitSpec no_threads;
  EXPECT_THAT(container_environment({}, run_env, host, no_threads, false),
              ElementsAreArray(Pairs{{"COLDBENCH_RUN_ID", "5-1"}}));

  limits::LimitSpec threads;
  threads.threads = limits::ThreadSetting{true, 0};
  auto env = container_environment({}, run_env, host, threads, true);
  EXPECT_THAT(env, ElementsAreArray(Pairs{{"OMP_NUM_THREADS", "2"},
                                          {"MKL_NUM_THREADS", "2"},
                                          {"OPENBLAS_NUM_THREADS", "2"},
                                          {"COLDBENCH_MARKERS", "stdout"},
                                          {"COLDBENCH_RUN_ID", "5-1"}}));
}

TEST(ContainerEnvironmentTest, UserCannotTurnStdoutMarkersOff) {
  auto env =
      container_environment({{"COLDBENCH_MARKERS", "fd"}}, {"COLDBENCH_MARKERS=fd"}, {}, {}, true);
  EXPECT_THAT(env, ElementsAreArray(Pairs{{"COLDBENCH_MARKERS", "stdout"}}));
}

TEST(ContainerLimitsTest, AffinityIsRefusedWithTheAlternative) {
  limits::LimitSpec spec;
  spec.cpus = 1;
  spec.memory_bytes = 1 << 30;
  EXPECT_TRUE(check_container_limits(spec));
  spec.affinity = "0,2";
  auto checked = check_container_limits(spec);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("--cpuset 0,2"), std::string::npos);
  EXPECT_EQ(checked.error().exit_code, kExitUsage);
}

TEST(ContainerKillArgvTest, KillsByNameWithTheSameGlobalFlagsAsTheRun) {
  EXPECT_THAT(container_kill_argv("/usr/bin/docker", {}, "coldbench-1-2"),
              ElementsAre("/usr/bin/docker", "kill", "coldbench-1-2"));
  EXPECT_THAT(container_kill_argv("/usr/bin/podman", {"--runtime", "/usr/sbin/runc"}, "coldbench-1-2"),
              ElementsAre("/usr/bin/podman", "--runtime", "/usr/sbin/runc", "kill", "coldbench-1-2"));
  EXPECT_THAT(container_remove_argv("/usr/bin/podman", {"--runtime", "/usr/sbin/runc"}, "coldbench-1-2"),
              ElementsAre("/usr/bin/podman", "--runtime", "/usr/sbin/runc", "rm", "--force", "coldbench-1-2"));
}

TEST(ContainerRunArgvTest, PlannedFlagsAndTheEntryPointWrapTheCommand) {
  ContainerRun run = minimal_run();
  run.client = "/usr/bin/podman";
  run.global_args = {"--runtime", "/usr/sbin/runc", "--cgroup-manager", "cgroupfs"};
  run.run_args = {"--ulimit=nofile=20000:20000"};
  run.entry = "/opt/cb/coldbench-entry";
  run.workdir = "/w";
  EXPECT_THAT(container_run_argv(run),
              ElementsAre("/usr/bin/podman", "--runtime", "/usr/sbin/runc", "--cgroup-manager", "cgroupfs", "run",
                          "--rm", "--name", "coldbench-4242-7", "--ulimit=nofile=20000:20000", "-v",
                          "/opt/cb/coldbench-entry:/.coldbench/entry:ro", "--entrypoint", "/.coldbench/entry", "-w",
                          "/w", "debian:12", "python3", "bench.py", "--iters", "10"));
}

}  // namespace
}  // namespace coldbench::isolate
