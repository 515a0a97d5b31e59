#include "limits/limits_hook.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "fake_cgroup_fs.hpp"

namespace coldbench::limits {
namespace {

ResolvedLimits resolved(LimitSpec spec) {
  auto limits = resolve_limits(spec, CpuBudget{{0, 1, 2, 3}, {}, std::nullopt}, {0, 1, 2, 3});
  EXPECT_TRUE(limits.ok());
  return *limits;
}

TEST(LimitsHook, ThreadVariablesReplaceInheritedOnes) {
  LimitSpec spec;
  spec.cpus = 2.5;
  spec.threads = ThreadSetting{true, 0};
  LimitsHook hook(resolved(spec), nullptr);
  proc::SpawnRequest request;
  request.env = {"PATH=/bin", "OMP_NUM_THREADS=16"};
  RunRecord record;
  ASSERT_TRUE(hook.before_spawn(CommandSpec{}, request, record).ok());
  EXPECT_EQ(request.env, (std::vector<std::string>{"PATH=/bin", "OMP_NUM_THREADS=2",
                                                   "MKL_NUM_THREADS=2", "OPENBLAS_NUM_THREADS=2"}));
  ASSERT_TRUE(record.limits.has_value());
  EXPECT_EQ(record.limits->threads, "2");
  EXPECT_EQ(record.limits->effective_cpus, 2);
  EXPECT_EQ(record.limits->cgroup, "");  // no backend: no cgroup
  EXPECT_TRUE(request.child_setup.empty());
  EXPECT_TRUE(hook.after_run(bench::RunEnd::not_started(), record).ok());
  EXPECT_FALSE(record.cgroup.has_value());
}

TEST(LimitsHook, AffinityIsAChildStep) {
  LimitSpec spec;
  spec.affinity = "1,3";
  LimitsHook hook(resolved(spec), nullptr);
  proc::SpawnRequest request;
  RunRecord record;
  ASSERT_TRUE(hook.before_spawn(CommandSpec{}, request, record).ok());
  ASSERT_EQ(request.child_setup.size(), 1u);
  EXPECT_EQ(request.child_setup[0]->describe(), "setting the CPU affinity to 1,3");
  EXPECT_EQ(record.limits->affinity, "1,3");
  EXPECT_EQ(record.limits->effective_cpus, 2);
}

TEST(LimitsHook, WithoutFlagsItOnlyRecordsEffectiveCpus) {
  LimitsHook hook(resolved({}), nullptr);
  proc::SpawnRequest request;
  request.env = {"OMP_NUM_THREADS=16"};
  RunRecord record;
  ASSERT_TRUE(hook.before_spawn(CommandSpec{}, request, record).ok());
  EXPECT_EQ(request.env, (std::vector<std::string>{"OMP_NUM_THREADS=16"}));
  EXPECT_EQ(record.limits->effective_cpus, 4);
  EXPECT_FALSE(record.limits->cpus.has_value());
}

TEST(LimitsHook, EngineModeRefusesAffinity) {
  LimitSpec spec;
  spec.affinity = "0";
  auto hook = make_limits_hook(spec, LimitsMode::Engine);
  ASSERT_FALSE(hook.ok());
  EXPECT_NE(hook.error().message.find("use --cpuset"), std::string::npos);
}

// Used to be kept for the next run's before_spawn, so the last run's
// removal error was lost; now the run loop gets it after the run
// (tests/unit/bench/run_hooks_test.cpp: what it does with it).
TEST(LimitsHook, CgroupRemovalErrorIsReturnedAfterTheRun) {
  // A v2 host modelled in memory, mounted at a real directory: the hook opens
  // the run cgroup's cgroup.procs for real to join it in the child.
  std::string root = std::filesystem::temp_directory_path().string() + "/cb-limits-XXXXXX";
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  const std::string mount = root + "/cg";
  testing::FakeCgroupFs fs;
  fs.add_mount(mount, CgroupVersion::V2, {"cpu", "cpuset", "memory"});
  fs.files[mount + "/cgroup.subtree_control"] = "cpu cpuset memory";
  const std::string scope = mount + "/app.scope";
  fs.add_cgroup(scope);
  fs.add_process(scope, fs.pid);
  fs.running[fs.pid] = "coldbench";
  CgroupLayout layout = parse_cgroup_layout("30 25 0:26 / " + mount + " rw - cgroup2 cgroup2 rw\n",
                                            "0::/app.scope\n", "cpu cpuset memory");
  LimitSpec spec;
  spec.cpus = 1;
  auto backend = CgroupBackend::prepare(layout, needs_for(spec), fs);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  const std::string run_dir = scope + "/coldbench/run-4242-0";
  std::filesystem::create_directories(run_dir);
  std::ofstream(run_dir + "/cgroup.procs") << "";

  LimitsHook hook(resolved(spec), std::move(backend).value());
  proc::SpawnRequest request;
  RunRecord record;
  auto ready = hook.before_spawn(CommandSpec{}, request, record);
  ASSERT_TRUE(ready.ok()) << ready.error().message;
  fs.busy_rmdirs[run_dir] = 1000000;
  auto ended = hook.after_run(bench::RunEnd::not_started(), record);
  ASSERT_FALSE(ended.ok());
  EXPECT_NE(ended.error().message.find("cannot remove the run's cgroup " + run_dir), std::string::npos)
      << ended.error().message;
  EXPECT_FALSE(record.cgroup.has_value());  // nothing ran: no statistics to read
  fs.busy_rmdirs[run_dir] = 0;
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace coldbench::limits
