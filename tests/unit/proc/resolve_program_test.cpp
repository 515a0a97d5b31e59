#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "proc/spawn.hpp"

namespace coldbench::proc {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// Two PATH directories with tools in them, removed afterwards.
class ProcResolveProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("cb_resolve_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "first");
    fs::create_directories(root_ / "second");
    fs::create_directories(root_ / "work" / "sub");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string make_file(const fs::path& relative, bool executable) {
    fs::path path = root_ / relative;
    std::ofstream(path) << "#!/bin/sh\n";
    fs::permissions(path, executable ? fs::perms(0755) : fs::perms(0644));
    return path.string();
  }
  std::string dir(const char* name) const { return (root_ / name).string(); }

  fs::path root_;
};

TEST_F(ProcResolveProgram, SearchesPathInOrder) {
  make_file("first/tool", true);
  std::string second = make_file("second/tool", true);
  make_file("second/other", true);
  auto tool = resolve_program("tool", dir("first") + ":" + dir("second"), "");
  ASSERT_TRUE(tool.ok()) << tool.error().message;
  EXPECT_EQ(*tool, dir("first") + "/tool");
  auto other = resolve_program("other", dir("first") + ":" + dir("second"), "");
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(*other, dir("second") + "/other");
}

TEST_F(ProcResolveProgram, SkipsNonExecutableFilesAndDirectoriesOnPath) {
  make_file("first/tool", false);
  fs::create_directories(root_ / "first" / "other");
  make_file("second/tool", true);
  make_file("second/other", true);
  std::string path = "/nonexistent:" + dir("first") + ":" + dir("second");
  EXPECT_EQ(*resolve_program("tool", path, ""), dir("second") + "/tool");
  EXPECT_EQ(*resolve_program("other", path, ""), dir("second") + "/other");
}

TEST_F(ProcResolveProgram, MissingProgramNamesThePath) {
  auto missing = resolve_program("no-such-tool", dir("first") + ":/usr/bin", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("command not found: 'no-such-tool'"));
  EXPECT_THAT(missing.error().message, HasSubstr(dir("first") + ":/usr/bin"));
}

TEST_F(ProcResolveProgram, FindsRealSystemPrograms) {
  auto sh = resolve_program("sh", "/nonexistent:/usr/bin:/bin", "");
  ASSERT_TRUE(sh.ok()) << sh.error().message;
  EXPECT_EQ(access(sh->c_str(), X_OK), 0);
  EXPECT_EQ(fs::path(*sh).filename(), "sh");
}

TEST_F(ProcResolveProgram, RelativePathWithSlashResolvesAgainstCwd) {
  make_file("work/tool", true);
  make_file("work/sub/deeper", true);
  auto tool = resolve_program("./tool", "", dir("work"));
  ASSERT_TRUE(tool.ok()) << tool.error().message;
  EXPECT_EQ(*tool, dir("work") + "/./tool");
  auto deeper = resolve_program("sub/deeper", "/usr/bin", dir("work"));
  ASSERT_TRUE(deeper.ok()) << deeper.error().message;
  EXPECT_EQ(*deeper, dir("work") + "/sub/deeper");
  // PATH is not searched for a name with a slash.
  make_file("first/tool", true);
  EXPECT_FALSE(resolve_program("./tool", dir("first"), dir("second")).ok());
}

TEST_F(ProcResolveProgram, AbsolutePathIsTakenAsIs) {
  std::string tool = make_file("work/tool", true);
  auto found = resolve_program(tool, "", "/some/other/cwd");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, tool);
}

TEST_F(ProcResolveProgram, PathWithSlashErrors) {
  make_file("work/script.py", false);
  auto not_exec = resolve_program("./script.py", "", dir("work"));
  ASSERT_FALSE(not_exec.ok());
  EXPECT_THAT(not_exec.error().message, HasSubstr("not executable"));
  EXPECT_THAT(not_exec.error().message, HasSubstr("'./script.py'"));

  auto missing = resolve_program("./nope", "", dir("work"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("cannot run './nope'"));
  EXPECT_THAT(missing.error().message, HasSubstr("relative to --cwd " + dir("work")));

  auto directory = resolve_program("./sub", "", dir("work"));
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.error().message, HasSubstr("not a regular file"));
}

TEST_F(ProcResolveProgram, EmptyNameIsAnError) {
  auto empty = resolve_program("", "/usr/bin", "");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message, HasSubstr("empty command"));
}

}  // namespace
}  // namespace coldbench::proc
