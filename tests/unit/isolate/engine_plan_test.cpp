#include "isolate/engine_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

namespace coldbench::isolate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// This machine's shape: hybrid cgroups, no systemd, no CAP_SYS_RESOURCE,
// nofile hard 20000, nproc hard above kernel.pid_max, both runtimes installed.
HostFacts hybrid_host() {
  HostFacts host;
  host.cgroup_mode = "hybrid";
  host.nofile = RlimitPair{20000, 20000};
  host.nproc = RlimitPair{96362, 96362};
  host.pid_max = 32768;
  host.runtimes = {{"runc", "/usr/sbin/runc"}, {"crun", "/usr/bin/crun"}};
  return host;
}

EngineFacts podman(std::string runtime = "crun", std::string manager = "cgroupfs") {
  EngineFacts facts;
  facts.engine = IsolationMode::Podman;
  facts.version = "4.3.1";
  facts.runtime = std::move(runtime);
  facts.cgroup_manager = std::move(manager);
  return facts;
}

TEST(EnginePlan, PodmanWithCrunOnAHybridHostSwitchesToRunc) {
  EnginePlan plan = plan_engine(podman("crun"), hybrid_host());
  EXPECT_FALSE(plan.problem);
  EXPECT_THAT(plan.global_args, ElementsAre("--runtime", "/usr/sbin/runc"));
  EXPECT_THAT(plan.choices.at(0), HasSubstr("refuses this host's hybrid cgroups"));
}

TEST(EnginePlan, PodmanWithCrunOnAHybridHostWithoutRuncNamesTheFix) {
  HostFacts host = hybrid_host();
  host.runtimes.erase("runc");
  EnginePlan plan = plan_engine(podman("crun"), host);
  ASSERT_TRUE(plan.problem);
  EXPECT_THAT(*plan.problem, HasSubstr("apt-get install runc"));
}

TEST(EnginePlan, CrunIsKeptWhereItWorks) {
  HostFacts host = hybrid_host();
  host.cgroup_mode = "v2";
  EnginePlan plan = plan_engine(podman("crun"), host);
  EXPECT_FALSE(plan.problem);
  EXPECT_THAT(plan.global_args, IsEmpty());
}

TEST(EnginePlan, SystemdManagerWithoutSystemdFallsBackToCgroupfs) {
  EnginePlan plan = plan_engine(podman("runc", "systemd"), hybrid_host());
  EXPECT_THAT(plan.global_args, ElementsAre("--cgroup-manager", "cgroupfs"));
  HostFacts with_systemd = hybrid_host();
  with_systemd.systemd_running = true;
  EXPECT_THAT(plan_engine(podman("runc", "systemd"), with_systemd).global_args, IsEmpty());
}

TEST(EnginePlan, WithoutCapSysResourceRlimitsStayWithinTheHardLimitsAndPidMax) {
  HostFacts host = hybrid_host();
  host.nofile = RlimitPair{1024, 20000};
  EnginePlan plan = plan_engine(podman("runc"), host);
  EXPECT_THAT(plan.run_args, ElementsAre("--ulimit=nofile=1024:20000", "--ulimit=nproc=32768:32768"));
  EXPECT_THAT(plan.choices.back(), HasSubstr("kernel.pid_max"));
}

TEST(EnginePlan, NprocBelowPidMaxIsPassedAsIs) {
  HostFacts host = hybrid_host();
  host.nproc = RlimitPair{4096, 8192};
  EXPECT_THAT(plan_engine(podman("runc"), host).run_args,
              ElementsAre("--ulimit=nofile=20000:20000", "--ulimit=nproc=4096:8192"));
}

TEST(EnginePlan, UnlimitedNprocIsCappedAtPidMaxOrLeftToTheEngine) {
  HostFacts host = hybrid_host();
  host.nproc = RlimitPair{RLIM_INFINITY, RLIM_INFINITY};
  EXPECT_THAT(plan_engine(podman("runc"), host).run_args,
              ElementsAre("--ulimit=nofile=20000:20000", "--ulimit=nproc=32768:32768"));
  host.pid_max.reset();
  EXPECT_THAT(plan_engine(podman("runc"), host).run_args, ElementsAre("--ulimit=nofile=20000:20000"));
}

TEST(EnginePlan, WithCapSysResourceTheEngineDefaultsApply) {
  HostFacts host = hybrid_host();
  host.can_raise_rlimits = true;
  EXPECT_THAT(plan_engine(podman("runc"), host).run_args, IsEmpty());
}

TEST(EnginePlan, DockerApiServiceWithCrunOnAHybridHostIsRefusedWithTheRestartCommand) {
  EngineFacts facts = podman("crun");
  facts.engine = IsolationMode::Docker;
  facts.podman_service = true;
  EnginePlan plan = plan_engine(facts, hybrid_host());
  ASSERT_TRUE(plan.problem);
  EXPECT_THAT(*plan.problem, HasSubstr("podman --runtime runc system service"));
  EXPECT_THAT(plan.global_args, IsEmpty());  // docker has no per-run runtime that podman's service honours
  facts.podman_service = false;
  EXPECT_THAT(*plan_engine(facts, hybrid_host()).problem, HasSubstr("default-runtime"));
}

TEST(EnginePlan, DockerWithSystemdDriverWithoutSystemdIsRefused) {
  EngineFacts facts = podman("runc", "systemd");
  facts.engine = IsolationMode::Docker;
  EnginePlan plan = plan_engine(facts, hybrid_host());
  ASSERT_TRUE(plan.problem);
  EXPECT_THAT(*plan.problem, HasSubstr("native.cgroupdriver=cgroupfs"));
}

TEST(EngineFactsParse, PodmanInfo) {
  auto facts = parse_engine_facts(
      IsolationMode::Podman,
      R"({"version":{"Version":"4.3.1"},"host":{"ociRuntime":{"name":"crun","path":"/usr/bin/crun"},"cgroupManager":"cgroupfs","cgroupVersion":"v1"}})",
      "");
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->version, "4.3.1");
  EXPECT_EQ(facts->runtime, "crun");
  EXPECT_EQ(facts->cgroup_manager, "cgroupfs");
  EXPECT_EQ(facts->cgroup_version, "v1");
}

TEST(EngineFactsParse, DockerInfoAndAPodmanServiceBehindIt) {
  const char* info = R"({"ServerVersion":"4.3.1","DefaultRuntime":"runc","CgroupDriver":"cgroupfs","CgroupVersion":"1"})";
  auto facts = parse_engine_facts(IsolationMode::Docker, info,
                                  R"({"Components":[{"Name":"Podman Engine","Version":"4.3.1"}]})");
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->runtime, "runc");
  EXPECT_TRUE(facts->podman_service);
  auto dockerd = parse_engine_facts(IsolationMode::Docker, info, R"({"Components":[{"Name":"Engine"}]})");
  ASSERT_TRUE(dockerd);
  EXPECT_FALSE(dockerd->podman_service);
}

TEST(EngineFactsParse, OutputThatIsNotJsonIsAnError) {
  auto facts = parse_engine_facts(IsolationMode::Podman, "Error: something", "");
  ASSERT_FALSE(facts);
  EXPECT_THAT(facts.error().message, HasSubstr("did not print JSON"));
}

TEST(ImageHostMounts, LabelListsMountsAndBadEntriesAreErrors) {
  auto none = parse_image_host_mounts("null");
  ASSERT_TRUE(none);
  EXPECT_THAT(*none, IsEmpty());
  auto other = parse_image_host_mounts(R"({"maintainer":"x"})");
  ASSERT_TRUE(other);
  EXPECT_THAT(*other, IsEmpty());
  auto mounts = parse_image_host_mounts(R"({"io.coldbench.host-mounts":"/usr:/usr:ro,/etc/ld.so.cache:/etc/ld.so.cache:ro"})");
  ASSERT_TRUE(mounts) << mounts.error().message;
  EXPECT_THAT(*mounts, ElementsAre(ContainerMount{"/usr", "/usr", true},
                                   ContainerMount{"/etc/ld.so.cache", "/etc/ld.so.cache", true}));
  auto relative = parse_image_host_mounts(R"({"io.coldbench.host-mounts":"usr:/usr:ro"})");
  ASSERT_FALSE(relative);
  EXPECT_THAT(relative.error().message, HasSubstr("absolute"));
  EXPECT_FALSE(parse_image_host_mounts(R"({"io.coldbench.host-mounts":"/usr:/usr:rx"})"));
}

TEST(HostFactsDetect, ReadsThisProcessLimits) {
  HostFacts host = detect_host_facts("/usr/bin:/bin");
  ASSERT_TRUE(host.nofile);
  rlimit own{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &own), 0);
  EXPECT_EQ(host.nofile->hard, own.rlim_max);
  EXPECT_FALSE(host.cgroup_mode.empty());
}

}  // namespace
}  // namespace coldbench::isolate
