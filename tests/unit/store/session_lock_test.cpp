#include "store/session_lock.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "../cache/temp_dir.hpp"

namespace coldbench::store {
namespace {

using ::testing::HasSubstr;

// POSIX locks belong to a process, so the other holder must be another process.
class LockHolder {
 public:
  LockHolder(const std::string& db, int64_t session) {
    int ready[2];
    if (pipe(ready) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      auto locks = SessionLocks::open(db);
      char ok = locks && locks->lock(session) ? '1' : '0';
      if (write(ready[1], &ok, 1) != 1) _exit(1);
      pause();
      _exit(0);
    }
    close(ready[1]);
    char ok = '0';
    locked_ = read(ready[0], &ok, 1) == 1 && ok == '1';
    close(ready[0]);
  }
  ~LockHolder() { kill_now(); }
  void kill_now() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }
  bool locked() const { return locked_; }

 private:
  pid_t pid_ = -1;
  bool locked_ = false;
};

// Audit: two `--resume` of one session ran its remaining runs at the same time.
TEST(StoreSessionLock, SecondLockOfASessionFailsNamingTheHolder) {
  testing::TempDir dir;
  std::string db = dir.file("history.sqlite");
  LockHolder holder(db, 3);
  ASSERT_TRUE(holder.locked());
  auto locks = SessionLocks::open(db);
  ASSERT_TRUE(locks.ok());
  auto second = locks->lock(3);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error().message, HasSubstr("session 3 is being run by process " + std::to_string(holder.pid())));
  EXPECT_EQ(second.error().exit_code, kExitUsage);
  EXPECT_TRUE(locks->lock(4).ok()) << "other sessions stay free";
}

TEST(StoreSessionLock, LockIsFreeOnceTheHolderIsKilled) {
  testing::TempDir dir;
  std::string db = dir.file("history.sqlite");
  LockHolder holder(db, 1);
  ASSERT_TRUE(holder.locked());
  auto locks = SessionLocks::open(db);
  ASSERT_TRUE(locks.ok());
  EXPECT_EQ(*locks->holder(1), holder.pid());
  holder.kill_now();  // kill -9: no unlock code runs
  EXPECT_EQ(*locks->holder(1), 0);
  EXPECT_TRUE(locks->lock(1).ok());
}

TEST(StoreSessionLock, LockFileLivesNextToTheDatabase) {
  testing::TempDir dir;
  std::string db = dir.file("history.sqlite");
  auto locks = SessionLocks::open(db);
  ASSERT_TRUE(locks.ok());
  EXPECT_EQ(locks->path(), db + ".lock");
  EXPECT_EQ(access((db + ".lock").c_str(), F_OK), 0);
  auto choosing = locks->choose();
  EXPECT_TRUE(choosing.ok());
}

}  // namespace
}  // namespace coldbench::store
