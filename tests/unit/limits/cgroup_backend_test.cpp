#include "limits/cgroup_backend.hpp"

#include <gtest/gtest.h>

#include "fake_cgroup_fs.hpp"

namespace coldbench::limits {
namespace {

using testing::FakeCgroupFs;

LimitSpec all_limits() {
  LimitSpec spec;
  spec.cpus = 0.5;
  spec.cpuset = "1";
  spec.memory_bytes = 64 << 20;
  return spec;
}

// The build machine's shape: v1 cpu, cpuacct, cpuset, memory apart; memory nested.
struct HybridHost {
  FakeCgroupFs fs;
  CgroupLayout layout;
  HybridHost() {
    fs.add_mount("/cg/cpu", CgroupVersion::V1, {"cpu"});
    fs.add_mount("/cg/cpuacct", CgroupVersion::V1, {"cpuacct"});
    fs.add_mount("/cg/cpuset", CgroupVersion::V1, {"cpuset"});
    fs.add_mount("/cg/memory", CgroupVersion::V1, {"memory"});
    fs.add_mount("/cg/unified", CgroupVersion::V2, {"hugetlb"});
    fs.add_cgroup("/cg/memory/api/x");
    fs.add_process("/cg/memory/api/x", fs.pid);
    fs.running[fs.pid] = "coldbench";
    layout = parse_cgroup_layout(
        "1 0 0:1 / /cg/cpu rw - cgroup cgroup rw,cpu\n2 0 0:2 / /cg/cpuacct rw - cgroup cgroup "
        "rw,cpuacct\n"
        "3 0 0:3 / /cg/cpuset rw - cgroup cgroup rw,cpuset\n4 0 0:4 / /cg/memory rw - cgroup "
        "cgroup rw,memory\n"
        "5 0 0:5 / /cg/unified rw - cgroup2 cgroup2 rw\n",
        "4:memory:/api/x\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n", "hugetlb");
  }
};

// A systemd v2 host; the harness alone in a delegated scope.
struct V2Host {
  FakeCgroupFs fs;
  CgroupLayout layout;
  std::string scope = "/cg/user.slice/app.slice/run-1.scope";
  explicit V2Host(std::vector<std::string> delegated = {"cpu", "cpuset", "memory"}) {
    fs.add_mount("/cg", CgroupVersion::V2, {"cpu", "cpuset", "memory", "io", "pids"});
    fs.files["/cg/cgroup.subtree_control"] = "cpu cpuset memory io pids";
    fs.add_cgroup("/cg/user.slice");
    std::string enabled;
    for (const auto& c : delegated) enabled += (enabled.empty() ? "" : " ") + c;
    fs.files["/cg/user.slice/cgroup.subtree_control"] = enabled;
    fs.add_cgroup("/cg/user.slice/app.slice");
    fs.files["/cg/user.slice/app.slice/cgroup.controllers"] = enabled;
    fs.files["/cg/user.slice/app.slice/cgroup.subtree_control"] = enabled;
    fs.add_cgroup(scope);
    fs.add_process(scope, fs.pid);
    fs.running[fs.pid] = "coldbench";
    layout =
        parse_cgroup_layout("30 25 0:26 / /cg rw - cgroup2 cgroup2 rw\n",
                            "0::/user.slice/app.slice/run-1.scope\n", "cpu cpuset memory io pids");
  }
};

TEST(CgroupBackend, NeedsFollowTheRequestedLimits) {
  LimitSpec spec;
  spec.memory_bytes = 1;
  auto needs = needs_for(spec);
  EXPECT_EQ(needs.required, (std::vector<std::string>{"memory"}));
  EXPECT_EQ(needs.optional, (std::vector<std::string>{"cpu", "cpuacct"}));
}

TEST(CgroupBackend, HybridV1RunCgroupGetsEveryLimit) {
  HybridHost host;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(all_limits()), host.fs);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  EXPECT_EQ((*backend)->version_label(), "v1");
  ASSERT_EQ((*backend)->hierarchies().size(), 4u);
  // coldbench's parent sits in the harness's own cgroup of each hierarchy.
  EXPECT_TRUE(host.fs.dirs.count("/cg/memory/api/x/coldbench"));
  // A new v1 cpuset parent inherits CPUs and memory nodes, or no task could join.
  EXPECT_EQ(host.fs.files["/cg/cpuset/coldbench/cpuset.cpus"], "0-3");
  EXPECT_EQ(host.fs.files["/cg/cpuset/coldbench/cpuset.mems"], "0");

  auto run = (*backend)->create_run(all_limits());
  ASSERT_TRUE(run.ok()) << run.error().message;
  std::string name = "run-4242-0";
  EXPECT_EQ(host.fs.files["/cg/cpu/coldbench/" + name + "/cpu.cfs_quota_us"], "50000");
  EXPECT_EQ(host.fs.files["/cg/cpu/coldbench/" + name + "/cpu.cfs_period_us"], "100000");
  EXPECT_EQ(host.fs.files["/cg/cpuset/coldbench/" + name + "/cpuset.cpus"], "1");
  EXPECT_EQ(host.fs.files["/cg/cpuset/coldbench/" + name + "/cpuset.mems"], "0");
  EXPECT_EQ(host.fs.files["/cg/memory/api/x/coldbench/" + name + "/memory.limit_in_bytes"],
            "67108864");
  EXPECT_EQ(host.fs.files["/cg/memory/api/x/coldbench/" + name + "/memory.memsw.limit_in_bytes"],
            "67108864");
  EXPECT_EQ((*run)->procs_files().size(), 4u);  // v1: join every hierarchy
  EXPECT_FALSE((*run)->memory_file_to_sample().has_value());

  // The child's join: accepted by the model's cpuset rule only because cpus and mems are set.
  for (const auto& file : (*run)->procs_files()) EXPECT_EQ(host.fs.write(file, "0"), 0) << file;

  host.fs.files["/cg/cpu/coldbench/" + name + "/cpu.stat"] =
      "nr_periods 40\nnr_throttled 38\nthrottled_time 1900000000\n";
  host.fs.files["/cg/cpuacct/coldbench/" + name + "/cpuacct.usage"] = "1000000000";
  host.fs.files["/cg/memory/api/x/coldbench/" + name + "/memory.max_usage_in_bytes"] = "67100000";
  host.fs.files["/cg/memory/api/x/coldbench/" + name + "/memory.oom_control"] =
      "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n";
  auto stats = (*run)->read_stats();
  EXPECT_DOUBLE_EQ(*stats.cpu_usage_ms, 1000.0);
  EXPECT_EQ(*stats.throttled_periods, 38);
  EXPECT_DOUBLE_EQ(*stats.throttled_ms, 1900.0);
  EXPECT_EQ(*stats.memory_peak_bytes, 67100000);
  EXPECT_EQ(*stats.oom_kills, 1);

  // Removal kills what is left (here: the harness's stand-in joined above) and removes every
  // directory.
  ASSERT_TRUE((*run)->remove().ok());
  for (const char* dir :
       {"/cg/cpu/coldbench/", "/cg/cpuset/coldbench/", "/cg/memory/api/x/coldbench/"}) {
    EXPECT_FALSE(host.fs.dirs.count(dir + name)) << dir;
  }
  backend->reset();  // the session ends: empty parents go too
  EXPECT_FALSE(host.fs.dirs.count("/cg/cpu/coldbench"));
}

TEST(CgroupBackend, CpusetOutsideTheParentIsRefusedWithTheReason) {
  HybridHost host;
  host.fs.files["/cg/cpuset/cpuset.cpus"] = "0-1";
  LimitSpec spec;
  spec.cpuset = "3";
  auto backend = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  ASSERT_TRUE(backend.ok());
  auto run = (*backend)->create_run(spec);
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.error().message.find("within the cpuset coldbench runs in (0-1)"),
            std::string::npos)
      << run.error().message;
  EXPECT_FALSE(host.fs.dirs.count("/cg/cpuset/coldbench/run-4242-0"));  // nothing half-made is left
}

TEST(CgroupBackend, V1WithoutRootNamesWhatIsMissing) {
  HybridHost host;
  host.fs.root = false;
  for (const char* dir : {"/cg/cpu", "/cg/cpuacct", "/cg/cpuset", "/cg/memory/api/x"})
    host.fs.denied.insert(dir);
  LimitSpec spec;
  spec.cpus = 0.5;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  ASSERT_FALSE(backend.ok());
  const std::string& message = backend.error().message;
  EXPECT_NE(message.find("cannot create cgroup /cg/cpu/coldbench: Permission denied"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("root"), std::string::npos);
  EXPECT_NE(message.find("systemd-run --user --scope -p Delegate=yes"), std::string::npos);
}

TEST(CgroupBackend, V1StatisticsHierarchiesAreOptional) {
  HybridHost host;
  host.fs.denied.insert("/cg/cpuacct");  // only the stats-only hierarchy is closed
  LimitSpec spec;
  spec.memory_bytes = 1 << 30;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  EXPECT_EQ((*backend)->hierarchies().size(), 2u);  // cpu (stats) and memory
  ASSERT_EQ((*backend)->notes().size(), 1u);
  EXPECT_NE((*backend)->notes()[0].find("/cg/cpuacct"), std::string::npos);
}

TEST(CgroupBackend, StaleRunCgroupsOfDeadHarnessesAreRemoved) {
  HybridHost host;
  host.fs.add_cgroup("/cg/cpu/coldbench");
  host.fs.add_cgroup("/cg/cpu/coldbench/run-111-3");         // creator gone
  host.fs.add_process("/cg/cpu/coldbench/run-111-3", 5555);  // with a straggler
  host.fs.add_cgroup("/cg/cpu/coldbench/run-222-0");         // creator alive: another session
  host.fs.running[222] = "coldbench";
  host.fs.add_cgroup("/cg/cpu/coldbench/run-333-1");  // pid reused by another program
  host.fs.running[333] = "bash";
  host.fs.add_cgroup("/cg/cpu/coldbench/run-4242-9");      // our pid, from an earlier process
  host.fs.add_cgroup("/cg/cpu/coldbench/keep-me");         // not ours to judge
  host.fs.busy_rmdirs["/cg/cpu/coldbench/run-111-3"] = 3;  // still being reaped for a moment
  LimitSpec spec;
  spec.cpus = 1;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  EXPECT_FALSE(host.fs.dirs.count("/cg/cpu/coldbench/run-111-3"));
  EXPECT_TRUE(host.fs.dirs.count("/cg/cpu/coldbench/run-222-0"));
  EXPECT_FALSE(host.fs.dirs.count("/cg/cpu/coldbench/run-333-1"));
  EXPECT_FALSE(host.fs.dirs.count("/cg/cpu/coldbench/run-4242-9"));
  EXPECT_TRUE(host.fs.dirs.count("/cg/cpu/coldbench/keep-me"));
  EXPECT_GE(host.fs.pauses, 3);
  EXPECT_EQ((*backend)->notes().size(), 3u);
  EXPECT_NE((*backend)->notes()[0].find("removed stale cgroup /cg/cpu/coldbench/run-111-3"),
            std::string::npos);
}

TEST(CgroupBackend, RemovalGivesUpOnAPersistentlyBusyCgroup) {
  HybridHost host;
  LimitSpec spec;
  spec.cpus = 1;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  auto run = (*backend)->create_run(spec);
  ASSERT_TRUE(run.ok());
  host.fs.busy_rmdirs["/cg/cpu/coldbench/run-4242-0"] = 1000000;
  auto removed = (*run)->remove();
  ASSERT_FALSE(removed.ok());
  EXPECT_NE(removed.error().message.find("removed at the next start"), std::string::npos);
}

TEST(CgroupBackend, RunCgroupsAreRecreatedWhenAnotherSessionRemovedTheParent) {
  HybridHost host;
  LimitSpec spec;
  spec.cpus = 1;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  ASSERT_TRUE(backend.ok());
  for (const auto& h : (*backend)->hierarchies()) host.fs.remove_dir(h.parent_dir);
  auto run = (*backend)->create_run(spec);
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_TRUE(host.fs.dirs.count("/cg/cpu/coldbench/run-4242-0"));
}

TEST(CgroupBackend, V2DelegatedScopeMovesTheHarnessIntoALeaf) {
  V2Host host;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(all_limits()), host.fs);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  EXPECT_EQ((*backend)->version_label(), "v2");
  const std::string parent = host.scope + "/coldbench";
  // The no-internal-process rule: the harness left the scope for a leaf so the scope could
  // delegate.
  EXPECT_EQ(host.fs.files[parent + "/harness-4242/cgroup.procs"], "4242\n");
  EXPECT_EQ(host.fs.files[host.scope + "/cgroup.procs"], "");
  EXPECT_EQ(host.fs.files[host.scope + "/cgroup.subtree_control"], "cpu cpuset memory");
  EXPECT_EQ(host.fs.files[parent + "/cgroup.subtree_control"], "cpu cpuset memory");

  auto run = (*backend)->create_run(all_limits());
  ASSERT_TRUE(run.ok()) << run.error().message;
  const std::string dir = parent + "/run-4242-0";
  EXPECT_EQ(host.fs.files[dir + "/cpu.max"], "50000 100000");
  EXPECT_EQ(host.fs.files[dir + "/cpuset.cpus"], "1");
  EXPECT_EQ(host.fs.files[dir + "/memory.max"], "67108864");
  EXPECT_EQ(host.fs.files[dir + "/memory.swap.max"], "0");
  EXPECT_EQ(host.fs.files[dir + "/memory.oom.group"], "1");
  EXPECT_EQ((*run)->procs_files(), (std::vector<std::string>{dir + "/cgroup.procs"}));

  host.fs.files[dir + "/cpu.stat"] =
      "usage_usec 1003456\nuser_usec 1000000\nsystem_usec 3456\nnr_periods 21\nnr_throttled "
      "19\nthrottled_usec 954321\n";
  host.fs.files[dir + "/memory.peak"] = "70000000\n";
  host.fs.files[dir + "/memory.events"] = "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n";
  auto stats = (*run)->read_stats();
  EXPECT_DOUBLE_EQ(*stats.cpu_usage_ms, 1003.456);
  EXPECT_EQ(*stats.periods, 21);
  EXPECT_EQ(*stats.throttled_periods, 19);
  EXPECT_EQ(*stats.memory_peak_bytes, 70000000);
  EXPECT_EQ(*stats.oom_kills, 1);
  EXPECT_EQ((*run)->read_oom_evidence().oom_kills, 1);
  ASSERT_TRUE((*run)->remove().ok());
  EXPECT_FALSE(host.fs.dirs.count(dir));
}

TEST(CgroupBackend, V2WithoutMemoryPeakAsksForSampling) {
  V2Host host;
  LimitSpec spec;
  spec.memory_bytes = 1 << 30;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  ASSERT_TRUE(backend.ok());
  auto run = (*backend)->create_run(spec);
  ASSERT_TRUE(run.ok());
  const std::string dir = host.scope + "/coldbench/run-4242-0";
  host.fs.files.erase(dir + "/memory.peak");  // Linux before 5.19
  EXPECT_EQ((*run)->memory_file_to_sample(), dir + "/memory.current");
  EXPECT_EQ((*run)->read_stats(123456).memory_peak_bytes, 123456);
}

TEST(CgroupBackend, V2ScopeSharedWithOtherProcessesNeedsItsOwnScope) {
  V2Host host;
  host.fs.root = false;
  host.fs.add_process(host.scope, 1);  // e.g. the login shell
  LimitSpec spec;
  spec.cpus = 0.5;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  ASSERT_FALSE(backend.ok());
  EXPECT_NE(backend.error().message.find("holds 1 other process,"), std::string::npos)
      << backend.error().message;
  EXPECT_NE(backend.error().message.find("systemd-run --user --scope -p Delegate=yes"),
            std::string::npos);
}

// Audit item 14: as root, a busy own cgroup used to send coldbench to
// <mount>/coldbench at the top of the hierarchy, outside the cgroup (and the
// limits) it was started in.
TEST(CgroupBackend, V2RootWithBusyOwnCgroupStaysInsideAndNamesTheFix) {
  V2Host host;
  ASSERT_TRUE(host.fs.root);
  host.fs.add_process(host.scope, 1);  // e.g. the login shell
  LimitSpec spec;
  spec.cpus = 0.5;
  auto backend = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  ASSERT_FALSE(backend.ok());
  const std::string& message = backend.error().message;
  EXPECT_NE(message.find(host.scope + " holds 1 other process,"), std::string::npos) << message;
  EXPECT_NE(message.find("systemd-run --scope -p Delegate=yes coldbench run"), std::string::npos)
      << message;
  EXPECT_NE(message.find("echo $$ > /cg/bench/cgroup.procs && exec coldbench"), std::string::npos)
      << message;
  for (const auto& path : host.fs.written) {
    EXPECT_NE(path, "/cg/cgroup.subtree_control");
    EXPECT_NE(path, "/cg/cgroup.procs");
    EXPECT_EQ(path.rfind(host.scope + "/", 0), 0u) << "wrote outside its own cgroup: " << path;
  }
  for (const auto& dir : host.fs.made)
    EXPECT_EQ(dir.rfind(host.scope + "/", 0), 0u) << "created outside its own cgroup: " << dir;
  EXPECT_FALSE(host.fs.dirs.count("/cg/coldbench"));
}

TEST(CgroupBackend, V2UndelegatedControllers) {
  V2Host host({"cpu", "memory"});  // systemd's default: no cpuset for users
  LimitSpec spec;
  spec.cpuset = "0";
  auto refused = CgroupBackend::prepare(host.layout, needs_for(spec), host.fs);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("the cpuset controller is not available to"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("Delegate=cpuset"), std::string::npos);

  V2Host stats_only({"memory"});  // cpu is only wanted for statistics: dropped quietly
  spec = LimitSpec{};
  spec.memory_bytes = 1 << 30;
  auto backend = CgroupBackend::prepare(stats_only.layout, needs_for(spec), stats_only.fs);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  EXPECT_EQ((*backend)->hierarchies()[0].controllers, (std::vector<std::string>{"memory"}));
}

TEST(CgroupBackend, MissingControllerIsNamed) {
  V2Host host;
  auto layout = host.layout;
  layout.controllers.erase("cpuset");
  LimitSpec spec;
  spec.cpuset = "0";
  auto backend = CgroupBackend::prepare(layout, needs_for(spec), host.fs);
  ASSERT_FALSE(backend.ok());
  EXPECT_NE(backend.error().message.find("the cpuset controller is not available here"),
            std::string::npos);
}

}  // namespace
}  // namespace coldbench::limits
