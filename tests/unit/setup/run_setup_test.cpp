#include "setup/run_setup.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../cache/temp_dir.hpp"
#include "isolate/sandbox_hook.hpp"

namespace coldbench::setup {
namespace {

using ::testing::ElementsAre;

// Stands in for an isolation hook: the order test needs no namespaces.
class NamedHook : public bench::RunHook {
 public:
  Expected<void> before_spawn(const CommandSpec&, proc::SpawnRequest&, RunRecord&) override { return {}; }
  Expected<void> after_run(const bench::RunEnd&, RunRecord&) override { return {}; }
};

std::unique_ptr<limits::LimitsHook> plain_limits_hook() {
  auto resolved = limits::resolve_limits({}, CpuBudget{{0, 1}, {}, std::nullopt}, {0, 1});
  EXPECT_TRUE(resolved.ok());
  return std::make_unique<limits::LimitsHook>(*resolved, nullptr);
}

// The order is the contract (setup/run_setup.hpp): limits, isolation, cache
// state last, so nothing touches the page cache between eviction and spawn.
TEST(RunHooksOrder, LimitsThenIsolationThenCacheState) {
  RunHooks hooks;
  hooks.cache = std::make_unique<cache::CacheStateHook>(cache::CacheSettings{}, [](const std::string&) {});
  hooks.isolation = std::make_unique<NamedHook>();
  hooks.limits = plain_limits_hook();
  EXPECT_THAT(hooks.in_order(), ElementsAre(hooks.limits.get(), hooks.isolation.get(), hooks.cache.get()));

  hooks.isolation.reset();  // host isolation has no hook
  EXPECT_THAT(hooks.in_order(), ElementsAre(hooks.limits.get(), hooks.cache.get()));
}

TEST(RunHooksOrder, MakeRunHooksFillsEverySlotItWasAskedFor) {
  testing::TempDir dir;
  dir.write("model.pt", "weights");
  RunSetup run_setup;
  run_setup.cwd = dir.path();
  run_setup.cache = CacheSetup{cache::CacheMode::None, {"model.pt"}, /*discover=*/false, /*rediscover=*/false};
  auto hooks = make_run_hooks(run_setup, [](const std::string&) {});
  ASSERT_TRUE(hooks.ok()) << hooks.error().message;
  ASSERT_NE(hooks->limits, nullptr);  // always: it records effective CPUs
  EXPECT_EQ(hooks->isolation, nullptr);
  ASSERT_NE(hooks->cache, nullptr);
  EXPECT_EQ(hooks->cache->settings().track, std::vector<std::string>{dir.file("model.pt")});
  EXPECT_THAT(hooks->in_order(), ElementsAre(hooks->limits.get(), hooks->cache.get()));
}

// With every hook real: the sandbox sits between limits and cache state.
TEST(RunHooksOrder, SandboxSitsBetweenLimitsAndCacheState) {
  testing::TempDir dir;
  dir.write("model.pt", "weights");
  RunSetup run_setup;
  run_setup.cwd = dir.path();
  run_setup.isolation.mode = isolate::IsolationMode::Sandbox;
  run_setup.cache = CacheSetup{cache::CacheMode::None, {"model.pt"}, false, false};
  auto hooks = make_run_hooks(run_setup, [](const std::string&) {});
  if (!hooks) GTEST_SKIP() << "this host refuses the sandbox's namespaces: " << hooks.error().message;
  ASSERT_NE(dynamic_cast<isolate::SandboxHook*>(hooks->isolation.get()), nullptr);
  EXPECT_THAT(hooks->in_order(), ElementsAre(hooks->limits.get(), hooks->isolation.get(), hooks->cache.get()));
}

// A container engine applies CPU and memory limits itself: the limits hook
// must not ask for a per-run cgroup (here: affinity, which only the harness
// can apply, is refused in that mode).
TEST(RunSetupLimits, ContainerEngineModeReachesTheLimitsHook) {
  RunSetup run_setup;
  run_setup.isolation.mode = isolate::IsolationMode::Docker;
  run_setup.isolation.image = "img";
  run_setup.limits.affinity = "0";
  auto hooks = make_run_hooks(run_setup, [](const std::string&) {});
  ASSERT_FALSE(hooks.ok());
  EXPECT_THAT(hooks.error().message, ::testing::HasSubstr("--affinity applies only to processes coldbench starts"));
}

}  // namespace
}  // namespace coldbench::setup
