#include "cache/file_set.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "temp_dir.hpp"

namespace coldbench::cache {
namespace {

using testing::TempDir;

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string canonical(const std::string& path) {
  return std::filesystem::canonical(path).string();
}

TEST(CacheFileSet, TrackableExcludesPseudoFilesystemsAndNonPaths) {
  EXPECT_TRUE(is_trackable_path("/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_TRUE(is_trackable_path("/procfile"));  // only the directory /proc itself is excluded
  EXPECT_TRUE(is_trackable_path("/devices.txt"));
  EXPECT_FALSE(is_trackable_path("/proc/self/maps"));
  EXPECT_FALSE(is_trackable_path("/proc"));
  EXPECT_FALSE(is_trackable_path("/sys/fs/cgroup/cpu.max"));
  EXPECT_FALSE(is_trackable_path("/dev/null"));
  EXPECT_FALSE(is_trackable_path("/dev/shm/x"));
  EXPECT_FALSE(is_trackable_path("pipe:[1234]"));
  EXPECT_FALSE(is_trackable_path("socket:[99]"));
  EXPECT_FALSE(is_trackable_path("anon_inode:[eventfd]"));
  EXPECT_FALSE(is_trackable_path("relative/file"));
  EXPECT_FALSE(is_trackable_path(""));
  EXPECT_FALSE(is_trackable_path("/tmp/gone (deleted)"));
}

TEST(CacheFileSet, AbsolutePathResolvesAgainstBaseAndNormalises) {
  EXPECT_EQ(absolute_path("/home/u/proj", "run.py"), "/home/u/proj/run.py");
  EXPECT_EQ(absolute_path("/home/u/proj", "./a/../b/c.py"), "/home/u/proj/b/c.py");
  EXPECT_EQ(absolute_path("/home/u/proj", "../other/x"), "/home/u/other/x");
  EXPECT_EQ(absolute_path("/home/u/proj", "/usr/bin/python3"), "/usr/bin/python3");
  EXPECT_EQ(absolute_path("/", "usr//lib/"), "/usr/lib");
  EXPECT_EQ(absolute_path("/a/b", ""), "/a/b");
}

TEST(CacheFileSet, ExpandsFilesDirectoriesAndBraceGlobs) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  auto a = dir.write("a.so", "a");
  auto b = dir.write("b.py", "b");
  auto c = dir.write("c.txt", "c");
  auto nested = dir.write("tree/sub/deep.bin", "d");
  auto nested2 = dir.write("tree/top.bin", "t");

  auto out = expand_file_patterns({dir.path() + "/*.{so,py}", dir.path() + "/tree"}, "/");
  EXPECT_TRUE(out.problems.empty()) << out.problems.front();
  ASSERT_EQ(out.files.size(), 4u);
  EXPECT_EQ(out.files[0], canonical(a));  // glob results are sorted
  EXPECT_EQ(out.files[1], canonical(b));
  EXPECT_TRUE(contains(out.files, canonical(nested)));
  EXPECT_TRUE(contains(out.files, canonical(nested2)));
  EXPECT_FALSE(contains(out.files, canonical(c)));
}

TEST(CacheFileSet, RelativePatternsUseTheBaseDirectoryAndDuplicatesCollapse) {
  TempDir dir;
  auto a = dir.write("x/a.txt", "a");
  std::filesystem::create_symlink(a, dir.file("link.txt"));
  auto out = expand_file_patterns({"x/a.txt", "x/*.txt", "link.txt"}, dir.path());
  EXPECT_TRUE(out.problems.empty());
  ASSERT_EQ(out.files.size(), 1u);  // the symlink and the glob name the same file
  EXPECT_EQ(out.files[0], canonical(a));
}

TEST(CacheFileSet, ProblemsAreReportedNotFatal) {
  TempDir dir;
  auto a = dir.write("a.txt", "a");
  auto out = expand_file_patterns({dir.file("missing.txt"), dir.path() + "/*.nothing", a, ""}, "/");
  ASSERT_EQ(out.files.size(), 1u);
  EXPECT_EQ(out.files[0], canonical(a));
  ASSERT_EQ(out.problems.size(), 3u);
  EXPECT_NE(out.problems[0].find("missing.txt"), std::string::npos);
  EXPECT_NE(out.problems[0].find("No such file"), std::string::npos);
  EXPECT_NE(out.problems[1].find("no file matches"), std::string::npos);
  EXPECT_NE(out.problems[2].find("empty"), std::string::npos);
}

TEST(CacheFileSet, SpecialFilesAreNotTracked) {
  auto out = expand_file_patterns({"/dev/null"}, "/");
  EXPECT_TRUE(out.files.empty());
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_NE(out.problems[0].find("not a regular file"), std::string::npos);
}

TEST(CacheFileSet, UnreadableDirectoryIsSkippedWithoutFailing) {
  TempDir dir;
  std::filesystem::permissions(
      dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                      std::filesystem::perms::others_exec | std::filesystem::perms::group_read |
                      std::filesystem::perms::others_read);
  auto a = dir.write("open/a.txt", "a");
  dir.write("closed/b.txt", "b");
  std::filesystem::permissions(dir.file("closed"), std::filesystem::perms::none);
  // Root reads every directory: check as another user, in a child.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 &&
        (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0))
      _exit(1);
    auto out = expand_file_patterns({dir.path()}, "/");
    bool ok = out.files.size() == 1 && out.files[0] == canonical(a);
    _exit(ok ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  std::filesystem::permissions(dir.file("closed"), std::filesystem::perms::owner_all);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: cannot switch user, 2: wrong files";
}

}  // namespace
}  // namespace coldbench::cache
