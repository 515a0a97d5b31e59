// Reading a checkout's commit from .git by hand (no git run); what git status
// is allowed to run is covered end to end (tests/e2e/test_sweep_git.py).

#include "sweep/git_revision.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace coldbench::sweep {
namespace {

namespace fs = std::filesystem;

const std::string kMain = "0123456789abcdef0123456789abcdef01234567";
const std::string kOther = "89abcdef0123456789abcdef0123456789abcdef";

class GitRevision : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cb_git_revision_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& relative, const std::string& text) {
    fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  std::string at(const std::string& relative) const { return (root_ / relative).string(); }

  fs::path root_;
};

TEST_F(GitRevision, FindsTheCheckoutFromASubdirectory) {
  write("repo/.git/HEAD", "ref: refs/heads/main\n");
  write("repo/.git/refs/heads/main", kMain + "\n");
  fs::create_directories(root_ / "repo/src/deep");
  auto checkout = find_git_checkout(at("repo/src/deep"));
  ASSERT_TRUE(checkout);
  EXPECT_EQ(checkout->work_tree, at("repo"));
  EXPECT_EQ(checkout->git_dir, at("repo/.git"));
  EXPECT_EQ(checkout->common_dir, at("repo/.git"));
  EXPECT_EQ(read_head_commit(*checkout), kMain);
}

TEST_F(GitRevision, PackedRefsDetachedHeadAndSymbolicRefChains) {
  write("repo/.git/HEAD", "ref: refs/heads/main\n");
  write("repo/.git/packed-refs", "# pack-refs with: peeled fully-peeled sorted \n" + kOther +
                                     " refs/heads/mainline\n" + kMain + " refs/heads/main\n^" +
                                     kOther + "\n");
  auto checkout = find_git_checkout(at("repo"));
  ASSERT_TRUE(checkout);
  EXPECT_EQ(read_head_commit(*checkout), kMain);

  write("repo/.git/HEAD", "ref: refs/heads/alias\n");
  write("repo/.git/refs/heads/alias", "ref: refs/heads/main\n");
  EXPECT_EQ(read_head_commit(*checkout), kMain);

  write("repo/.git/HEAD", kOther + "\n");
  EXPECT_EQ(read_head_commit(*checkout), kOther);

  write("repo/.git/HEAD", "ref: refs/heads/unborn\n");
  EXPECT_FALSE(read_head_commit(*checkout));
}

TEST_F(GitRevision, LinkedWorktreeReadsItsHeadAndTheCommonRefs) {
  write("main/.git/refs/heads/feature", kOther + "\n");
  write("main/.git/worktrees/wt/HEAD", "ref: refs/heads/feature\n");
  write("main/.git/worktrees/wt/commondir", "../..\n");
  write("wt/.git", "gitdir: ../main/.git/worktrees/wt\n");
  auto checkout = find_git_checkout(at("wt"));
  ASSERT_TRUE(checkout);
  EXPECT_EQ(checkout->work_tree, at("wt"));
  EXPECT_EQ(checkout->git_dir, at("main/.git/worktrees/wt"));
  EXPECT_EQ(checkout->common_dir, at("main/.git"));
  EXPECT_EQ(read_head_commit(*checkout), kOther);
}

// A hostile repository's HEAD must not block the sweep or lead outside .git.
TEST_F(GitRevision, HeadThatIsAFifoOrPointsOutsideTheGitDirectoryIsNotRead) {
  write("repo/.git/refs/heads/main", kMain + "\n");
  write("outside", kMain + "\n");
  auto checkout = find_git_checkout(at("repo"));
  ASSERT_TRUE(checkout);
  write("repo/.git/HEAD", "ref: refs/../../../outside\n");
  EXPECT_FALSE(read_head_commit(*checkout));
  fs::remove(root_ / "repo/.git/HEAD");
  ASSERT_EQ(mkfifo(at("repo/.git/HEAD").c_str(), 0600), 0);
  EXPECT_FALSE(read_head_commit(*checkout));  // returns at once: no writer will ever come
}

TEST_F(GitRevision, OutsideARepositoryThereIsNoCheckout) {
  fs::create_directories(root_ / "plain");
  // Unless the temporary directory itself is inside a checkout.
  if (find_git_checkout(root_.string())) GTEST_SKIP() << root_ << " is inside a git checkout";
  EXPECT_FALSE(find_git_checkout(at("plain")));
}

}  // namespace
}  // namespace coldbench::sweep
