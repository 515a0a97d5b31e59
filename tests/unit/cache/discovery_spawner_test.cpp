// The tracer waits until the harness has no child left (waitpid(-1) to
// ECHILD); the spawner (proc/spawner.hpp) is a child that lives across runs,
// so discovery must end it first or wait for ever (a sweep discovers the
// files of its next configuration after runs of the previous one).

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cache/discovery.hpp"
#include "proc/spawner.hpp"

namespace coldbench::cache {
namespace {

TEST(CacheDiscovery, FinishesWhileTheSpawnerIsRunning) {
  ASSERT_NE(proc::Spawner::get(), nullptr);
  alarm(120);  // a hang fails here, not at ctest's timeout
  std::vector<std::string> argv = {"/bin/true"};
  DiscoveryRequest request{argv[0], argv, {"PATH=/usr/bin:/bin"}, "", 60.0, false};
  auto result = discover_files(request);
  alarm(0);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_NE(proc::Spawner::get(), nullptr);  // started again for the runs that follow
}

}  // namespace
}  // namespace coldbench::cache
