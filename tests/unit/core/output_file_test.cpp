#include "core/output_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace coldbench {
namespace {

namespace fs = std::filesystem;

class OutputFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cb_output_file_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  // A file only its owner may read, as /etc/shadow or a root-owned key.
  std::string victim() const {
    std::string file = path("victim");
    std::ofstream(file) << "secret";
    chmod(file.c_str(), 0600);
    return file;
  }

  fs::path dir_;
};

// Audit item 11: another user plants <path>.tmp -> a file of root's, and a
// root export used to open the link with O_TRUNC and write through it.
TEST_F(OutputFile, PlantedTmpSymlinkToAVictimIsNotFollowed) {
  std::string target = victim();
  fs::create_symlink(target, path("results.json.tmp"));
  ASSERT_TRUE(write_file_atomically(path("results.json"), "{}\n").ok());
  EXPECT_EQ(read(target), "secret");
  EXPECT_EQ(read(path("results.json")), "{}\n");
  EXPECT_TRUE(fs::is_symlink(path("results.json.tmp")));  // not ours: left alone
}

TEST_F(OutputFile, TargetThatIsASymlinkIsReplacedNotFollowed) {
  std::string target = victim();
  fs::create_symlink(target, path("report.md"));
  ASSERT_TRUE(write_file_atomically(path("report.md"), "# report\n").ok());
  EXPECT_EQ(read(target), "secret");
  EXPECT_FALSE(fs::is_symlink(path("report.md")));
  EXPECT_EQ(read(path("report.md")), "# report\n");
}

TEST_F(OutputFile, NewFileIsMode0644LessTheUmaskAndLeavesNoTemporary) {
  mode_t old = umask(022);
  auto written = write_file_atomically(path("out.csv"), "a,b\n");
  umask(old);
  ASSERT_TRUE(written.ok()) << written.error().message;
  struct stat st {};
  ASSERT_EQ(stat(path("out.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(entries(), std::vector<std::string>{"out.csv"});
}

TEST_F(OutputFile, ReplaceReturnsTheNewFileForAppendsInPlace) {
  ASSERT_TRUE(write_file_atomically(path("runs.csv"), "old content, longer\n").ok());
  auto file = replace_file(path("runs.csv"), "h\n");
  ASSERT_TRUE(file.ok()) << file.error().message;
  ASSERT_EQ(pwrite(file->get(), "r1\n", 3, 2), 3);
  EXPECT_EQ(read(path("runs.csv")), "h\nr1\n");
}

TEST_F(OutputFile, MissingDirectoryIsAnErrorNamingThePath) {
  auto written = write_file_atomically(path("no/such/dir/out.json"), "x");
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.error().message.find("no/such/dir/out.json"), std::string::npos)
      << written.error().message;
  EXPECT_EQ(entries(), std::vector<std::string>{});
}

}  // namespace
}  // namespace coldbench
