#include "cache/discovery.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "core/clock.hpp"
#include "temp_dir.hpp"

extern char** environ;

namespace coldbench::cache {
namespace {

using testing::TempDir;

std::vector<std::string> our_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  return env;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string canonical(const std::string& path) {
  return std::filesystem::canonical(path).string();
}

DiscoveryResult discover(const std::vector<std::string>& argv, const std::string& cwd = "",
                         std::optional<double> timeout_s = std::nullopt) {
  DiscoveryRequest request{argv[0], argv, our_environment(), cwd, timeout_s, false};
  auto result = discover_files(request);
  EXPECT_TRUE(result.ok()) << result.error().message;
  return result.ok() ? *result : DiscoveryResult{};
}

TEST(CacheDiscovery, CatOfAKnownFile) {
  TempDir dir;
  auto data = dir.write("input.txt", "hello\n");
  auto result = discover({"/bin/cat", data});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(result.succeeded());
  EXPECT_TRUE(contains(result.files, canonical(data)));
  EXPECT_TRUE(contains(result.files, canonical("/bin/cat")));  // exec'd, symlinks resolved
  // The dynamic loader is mapped by the kernel, never opened: found through /proc/PID/maps at exec.
  bool loader = std::any_of(result.files.begin(), result.files.end(), [](const std::string& f) {
    return f.find("/ld-") != std::string::npos;
  });
  bool libc = std::any_of(result.files.begin(), result.files.end(), [](const std::string& f) {
    return f.find("/libc.so") != std::string::npos;
  });
  if (std::filesystem::exists("/lib64/ld-linux-x86-64.so.2") ||
      std::filesystem::exists("/lib/ld-linux-aarch64.so.1")) {
    EXPECT_TRUE(loader);
    EXPECT_TRUE(libc);
  }
  for (const auto& f : result.files) {
    EXPECT_EQ(f[0], '/') << f;
    EXPECT_NE(f.rfind("/proc", 0), 0u) << f;
    EXPECT_NE(f.rfind("/dev/", 0), 0u) << f;  // stdin is /dev/null: not tracked
    struct stat st {};
    EXPECT_TRUE(stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode)) << f;
  }
  EXPECT_TRUE(std::is_sorted(result.files.begin(), result.files.end()));
}

TEST(CacheDiscovery, FollowsForksAndExecsOfTheWholeTree) {
  TempDir dir;
  auto first = dir.write("first.txt", "1\n");
  auto second = dir.write("second.txt", "2\n");
  auto third = dir.write("sub/third.txt", "3\n");
  // A background child (fork), a pipeline (two forks), a subshell, each exec'ing cat.
  std::string script =
      "/bin/cat first.txt >/dev/null & /bin/cat second.txt | /bin/cat >/dev/null; "
      "(cd sub && /bin/cat third.txt >/dev/null); wait";
  auto result = discover({"/bin/sh", "-c", script}, dir.path());
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(contains(result.files, canonical(first)));
  EXPECT_TRUE(contains(result.files, canonical(second)));
  EXPECT_TRUE(contains(result.files, canonical(third)));  // relative path in a child's own cwd
  EXPECT_GE(result.processes, 4);
}

TEST(CacheDiscovery, ScriptsRunByPathAreTracked) {
  TempDir dir;
  auto data = dir.write("data.txt", "x\n");
  auto script = dir.write("tool.sh", "#!/bin/sh\nexec /bin/cat data.txt\n");
  chmod(script.c_str(), 0755);
  // The kernel reads a #! line itself and /bin/true never opens its argument:
  // only the execve argument (relative, resolved against the caller's cwd) names it.
  auto silent = dir.write("silent.sh", "#!/bin/true\n");
  chmod(silent.c_str(), 0755);
  auto result = discover({"/bin/sh", "-c", "./tool.sh >/dev/null; ./silent.sh"}, dir.path());
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(contains(result.files, canonical(script)));
  EXPECT_TRUE(contains(result.files, canonical(data)));
  EXPECT_TRUE(contains(result.files, canonical(silent)));
}

TEST(CacheDiscovery, FilesOpenedByThreadsAreTracked) {
  if (!std::filesystem::exists("/usr/bin/python3"))
    GTEST_SKIP() << "needs /usr/bin/python3 to start a thread";
  TempDir dir;
  auto data = dir.write("thread.txt", "t\n");
  std::string code =
      "import threading\n"
      "t = threading.Thread(target=lambda: open('thread.txt').read())\n"
      "t.start(); t.join()\n";
  auto result = discover({"/usr/bin/python3", "-S", "-c", code}, dir.path());
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(contains(result.files, canonical(data)));
  EXPECT_GE(result.processes, 2);  // the main thread and the reader
}

TEST(CacheDiscovery, FilesOpenedForWritingAreNotTracked) {
  TempDir dir;
  auto input = dir.write("in.txt", "x\n");
  auto result =
      discover({"/bin/sh", "-c", "/bin/cat in.txt > out.txt; echo more >> out.txt"}, dir.path());
  EXPECT_TRUE(contains(result.files, canonical(input)));
  EXPECT_TRUE(std::filesystem::exists(dir.file("out.txt")));
  EXPECT_FALSE(contains(result.files, canonical(dir.file("out.txt"))));
}

TEST(CacheDiscovery, TemporaryFilesThatAreGoneAtTheEndAreDropped) {
  TempDir dir;
  auto result = discover(
      {"/bin/sh", "-c", "echo x > tmp.txt; /bin/cat tmp.txt >/dev/null; rm tmp.txt"}, dir.path());
  EXPECT_EQ(result.exit_code, 0);
  for (const auto& f : result.files) EXPECT_EQ(f.find("tmp.txt"), std::string::npos) << f;
}

TEST(CacheDiscovery, ReportsExitCodesAndSignals) {
  auto failed = discover({"/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_FALSE(failed.succeeded());
  EXPECT_EQ(failed.describe_outcome(), "exited with code 3");
  auto killed = discover({"/bin/sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(killed.signal, 15);
  EXPECT_FALSE(killed.succeeded());
}

TEST(CacheDiscovery, SignalsReachTheTracedProgram) {
  // A handled signal must be delivered, not swallowed by the tracer.
  auto result = discover({"/bin/sh", "-c", "trap 'exit 7' USR1; kill -USR1 $$; sleep 5; exit 0"});
  EXPECT_EQ(result.exit_code, 7);
}

TEST(CacheDiscovery, TimeoutAndLeftoverDescendantsAreKilled) {
  auto slow = discover({"/bin/sleep", "30"}, "", 0.3);
  EXPECT_TRUE(slow.timed_out);
  EXPECT_FALSE(slow.succeeded());
  // The first process exits at once; its background child must not keep discovery
  // waiting. Waiting for it would take its whole 30 s, however idle the machine.
  int64_t start = monotonic_ns();
  auto leftover = discover({"/bin/sh", "-c", "/bin/sleep 30 & exit 0"});
  EXPECT_EQ(leftover.exit_code, 0);
  EXPECT_LT(double(monotonic_ns() - start) / 1e9, 30.0);
}

TEST(CacheDiscovery, ProgramThatCannotStartIsAnError) {
  DiscoveryRequest request{"/nonexistent/prog", {"prog"}, our_environment(), "",
                           std::nullopt,        false};
  auto result = discover_files(request);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("cannot start '/nonexistent/prog'"), std::string::npos);

  DiscoveryRequest bad_cwd{"/bin/true",        {"true"},     our_environment(),
                           "/nonexistent/dir", std::nullopt, false};
  auto in_missing_dir = discover_files(bad_cwd);
  ASSERT_FALSE(in_missing_dir.ok());
  EXPECT_NE(in_missing_dir.error().message.find("/nonexistent/dir"), std::string::npos);
}

}  // namespace
}  // namespace coldbench::cache
