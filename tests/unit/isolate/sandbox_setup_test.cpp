#include "isolate/sandbox_setup.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "isolate/sandbox_home.hpp"
#include "isolate/sandbox_hook.hpp"
#include "isolate/sandbox_probe.hpp"

namespace coldbench::isolate {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(SandboxPlanTest, CloneFlagsAddAUserNamespaceOnlyWhenAsked) {
  SandboxPlan root;
  EXPECT_EQ(sandbox_clone_flags(root),
            static_cast<unsigned long>(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS));
  SandboxPlan user;
  user.user_namespace = true;
  EXPECT_EQ(sandbox_clone_flags(user), sandbox_clone_flags(root) | CLONE_NEWUSER);
}

TEST(SandboxPlanTest, IdentityMapIsOneLineMappingTheIdToItself) {
  EXPECT_EQ(identity_map_line(1000), "1000 1000 1\n");
  EXPECT_EQ(identity_map_line(0), "0 0 1\n");
}

std::vector<std::string> descriptions(const SandboxPlan& plan) {
  std::vector<std::string> out;
  for (const auto& step : make_sandbox_steps(plan)) out.push_back(step->describe());
  return out;
}

TEST(SandboxPlanTest, StepsMapIdsFirstThenMountThenLockDownAndDropCapabilitiesLast) {
  SandboxPlan plan;
  plan.user_namespace = true;
  plan.home = "/var/tmp/coldbench-home-1-abc";
  auto steps = descriptions(plan);
  ASSERT_EQ(steps.size(), 9u);
  EXPECT_TRUE(contains(steps[0], "uid/gid"));
  EXPECT_TRUE(contains(steps[1], "private"));
  EXPECT_EQ(steps[2], "mounting a fresh tmpfs on /tmp");
  EXPECT_EQ(steps[3], "mounting a fresh tmpfs on /dev/shm");
  EXPECT_EQ(steps[4], "mounting a fresh tmpfs on /var/tmp/coldbench-home-1-abc");
  EXPECT_TRUE(contains(steps[5], "/proc"));
  EXPECT_TRUE(contains(steps[6], "/proc/sys")) << steps[6];
  EXPECT_TRUE(contains(steps[6], "read-only")) << steps[6];
  EXPECT_TRUE(contains(steps[7], "hostname"));
  EXPECT_TRUE(contains(steps[8], "dropping every capability")) << steps[8];

  // Audit item 13: as root too the workload ends up without capabilities.
  plan.user_namespace = false;
  plan.fresh_dev_shm = false;
  auto root_steps = descriptions(plan);
  ASSERT_EQ(root_steps.size(), 7u);
  EXPECT_TRUE(contains(root_steps[0], "private"));
  EXPECT_EQ(root_steps[2], "mounting a fresh tmpfs on /var/tmp/coldbench-home-1-abc");
  EXPECT_TRUE(contains(root_steps[4], "read-only"));
  EXPECT_TRUE(contains(root_steps.back(), "dropping every capability"));

  // Kept entries go to the tmpfs that would hide them.
  plan.fresh_dev_shm = true;
  plan.kept_entries = {"/tmp/a", "/dev/shm/b", "/tmp/c"};
  auto kept_steps = descriptions(plan);
  EXPECT_EQ(kept_steps[1], "mounting a fresh tmpfs on /tmp keeping /tmp/a, /tmp/c");
  EXPECT_EQ(kept_steps[2], "mounting a fresh tmpfs on /dev/shm keeping /dev/shm/b");
}

TEST(SandboxPathsTest, FindsWhatTheFreshDirectoriesHide) {
  EXPECT_EQ(hidden_by_sandbox("/tmp"), "/tmp");
  EXPECT_EQ(hidden_by_sandbox("/tmp/x/model.py"), "/tmp");
  EXPECT_EQ(hidden_by_sandbox("/dev/shm/buf"), "/dev/shm");
  EXPECT_EQ(hidden_by_sandbox("/tmpfoo/x"), std::nullopt);
  EXPECT_EQ(hidden_by_sandbox("/var/tmp/x"), std::nullopt);
  EXPECT_EQ(hidden_by_sandbox("/usr/bin/python3"), std::nullopt);

  EXPECT_EQ(fresh_dir_entry("/tmp/proj/build/x"), "/tmp/proj");
  EXPECT_EQ(fresh_dir_entry("/tmp/proj"), "/tmp/proj");
  EXPECT_EQ(fresh_dir_entry("/dev/shm/buf"), "/dev/shm/buf");
  EXPECT_EQ(fresh_dir_entry("/tmp"), std::nullopt);
  EXPECT_EQ(fresh_dir_entry("/tmp/"), std::nullopt);
  EXPECT_EQ(fresh_dir_entry("/var/tmp/x"), std::nullopt);
}

TEST(SandboxEnvironmentTest, HomePointsAtTheTmpfsAndInheritedRedirectsAreDropped) {
  std::vector<std::string> host = {"PATH=/usr/bin",
                                   "HOME=/root",
                                   "XDG_CACHE_HOME=/root/.cache",
                                   "XDG_CONFIG_HOME=/root/.config",
                                   "TMPDIR=/scratch",
                                   "HOMEWORK=1",
                                   "LANG=C"};
  std::vector<std::string> env = host;
  apply_sandbox_environment(env, "/var/tmp/coldbench-home-1-x", {}, host);
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/usr/bin", "HOMEWORK=1", "LANG=C",
                                           "HOME=/var/tmp/coldbench-home-1-x"}));
}

TEST(SandboxEnvironmentTest, RedirectsSetForTheRunAreKept) {
  std::vector<std::string> host = {"XDG_CACHE_HOME=/models/cache", "TMPDIR=/root/t",
                                   "XDG_DATA_HOME=/root/d", "HOME=/root"};
  // --env XDG_CACHE_HOME (same value as the host's) and a sweep's XDG_DATA_HOME (a new value).
  std::vector<std::string> env = {"XDG_CACHE_HOME=/models/cache", "TMPDIR=/root/t",
                                  "XDG_DATA_HOME=/data", "HOME=/elsewhere"};
  apply_sandbox_environment(env, "/h",
                            {{"XDG_CACHE_HOME", "/models/cache"}, {"HOME", "/elsewhere"}}, host);
  // HOME is the sandbox's promise (a fresh home per run), so --env HOME does not override it.
  EXPECT_EQ(env, (std::vector<std::string>{"XDG_CACHE_HOME=/models/cache", "XDG_DATA_HOME=/data",
                                           "HOME=/h"}));
}

TEST(SandboxHomeTest, OwnerPidIsParsedFromTheName) {
  EXPECT_EQ(sandbox_home_owner("coldbench-home-1234-aB3xYz"), 1234);
  EXPECT_EQ(sandbox_home_owner("coldbench-home-1234-"), std::nullopt);
  EXPECT_EQ(sandbox_home_owner("coldbench-home--x"), std::nullopt);
  EXPECT_EQ(sandbox_home_owner("coldbench-home-12a4-x"), std::nullopt);
  EXPECT_EQ(sandbox_home_owner("coldbench-home-0-x"), std::nullopt);
  EXPECT_EQ(sandbox_home_owner("other-1234-x"), std::nullopt);
}

class SandboxHomeDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/cb-home-base-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    base_ = pattern;
  }
  void TearDown() override { fs::remove_all(base_); }
  std::string base_;
};

TEST_F(SandboxHomeDirTest, CreatedEmptyPrivateAndRemovedWithTheSession) {
  std::string path;
  {
    auto home = SandboxHome::create(base_);
    ASSERT_TRUE(home) << home.error().message;
    path = home->path();
    EXPECT_EQ(path.rfind(base_ + "/coldbench-home-" + std::to_string(getpid()) + "-", 0), 0u)
        << path;
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    SandboxHome moved = std::move(home).value();
    EXPECT_EQ(moved.path(), path);
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(SandboxHomeDirTest, StaleHomesOfDeadHarnessesAreRemoved) {
  // A pid that cannot run: above the kernel's pid_max.
  std::string stale = base_ + "/coldbench-home-99999999-abcdef";
  std::string alive = base_ + "/coldbench-home-" + std::to_string(getpid()) + "-abcdef";
  std::string not_empty = base_ + "/coldbench-home-99999998-abcdef";
  std::string unrelated = base_ + "/coldbench-homework";
  for (const auto& dir : {stale, alive, not_empty, unrelated}) fs::create_directory(dir);
  fs::create_directory(not_empty + "/x");
  EXPECT_EQ(remove_stale_sandbox_homes(base_, geteuid() + 1), 0);  // someone else's are left alone
  EXPECT_TRUE(fs::exists(stale));
  EXPECT_EQ(remove_stale_sandbox_homes(base_, geteuid()), 1);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(alive));
  EXPECT_TRUE(fs::exists(not_empty));  // rmdir never removes content
  EXPECT_TRUE(fs::exists(unrelated));
}

TEST_F(SandboxHomeDirTest, MissingBaseIsAClearError) {
  auto home = SandboxHome::create(base_ + "/missing");
  ASSERT_FALSE(home);
  EXPECT_TRUE(contains(home.error().message, "does not exist")) << home.error().message;
  EXPECT_TRUE(contains(home.error().message, "mkdir -m 1777")) << home.error().message;
}

TEST(SandboxRefusalTest, NamesTheSysctlThatDisablesUserNamespaces) {
  NamespaceSysctls debian;
  debian.unprivileged_userns_clone = "0";
  debian.max_user_namespaces = "15000";
  std::string text = explain_clone_refusal(EPERM, true, debian);
  EXPECT_TRUE(contains(text, "kernel.unprivileged_userns_clone=0")) << text;
  EXPECT_TRUE(contains(text, "sysctl -w kernel.unprivileged_userns_clone=1")) << text;
  EXPECT_TRUE(contains(text, "--isolate host")) << text;

  NamespaceSysctls ubuntu;
  ubuntu.apparmor_restrict_unprivileged_userns = "1";
  EXPECT_TRUE(contains(explain_clone_refusal(EPERM, true, ubuntu),
                       "kernel.apparmor_restrict_unprivileged_userns=1"));

  NamespaceSysctls disabled;
  disabled.max_user_namespaces = "0";
  EXPECT_TRUE(contains(explain_clone_refusal(EPERM, true, disabled), "user.max_user_namespaces=0"));
  // The kernel reports a zero limit as ENOSPC, like a full one.
  std::string zero = explain_clone_refusal(ENOSPC, true, disabled);
  EXPECT_TRUE(contains(zero, "user namespaces are disabled (user.max_user_namespaces=0)")) << zero;

  std::string unknown = explain_clone_refusal(EPERM, true, NamespaceSysctls{});
  EXPECT_TRUE(contains(unknown, "kernel.unprivileged_userns_clone")) << unknown;
  EXPECT_TRUE(contains(unknown, "seccomp")) << unknown;
}

TEST(SandboxRefusalTest, RootWithoutCapabilitiesAndLimitsAndOldKernels) {
  std::string root = explain_clone_refusal(EPERM, false, NamespaceSysctls{});
  EXPECT_TRUE(contains(root, "CAP_SYS_ADMIN")) << root;
  EXPECT_FALSE(contains(root, "user, mount")) << root;

  NamespaceSysctls limits;
  limits.max_user_namespaces = "5";
  std::string full = explain_clone_refusal(ENOSPC, true, limits);
  EXPECT_TRUE(contains(full, "user.max_user_namespaces=5")) << full;
  EXPECT_TRUE(contains(full, "user.max_pid_namespaces=?")) << full;

  EXPECT_TRUE(contains(explain_clone_refusal(EINVAL, true, {}), "CONFIG_USER_NS"));
}

TEST(SandboxRefusalTest, StepFailuresExplainMaskedProc) {
  std::string proc_text =
      explain_step_failure("mounting /proc for the sandbox's PID namespace", EPERM, true);
  EXPECT_TRUE(contains(proc_text, "fully visible")) << proc_text;
  EXPECT_TRUE(contains(proc_text, "running as root may work")) << proc_text;
  std::string tmpfs = explain_step_failure("mounting a fresh tmpfs on /x", ENOENT, false);
  EXPECT_TRUE(contains(tmpfs, "mountpoint does not exist")) << tmpfs;
  EXPECT_TRUE(contains(tmpfs, "--isolate host")) << tmpfs;
}

}  // namespace
}  // namespace coldbench::isolate
