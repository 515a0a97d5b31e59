#include "limits/memory_sampler.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace coldbench::limits {
namespace {

void write_value(const std::string& path, const std::string& text) {
  std::string temporary = path + ".new";
  std::ofstream(temporary) << text;
  std::rename(temporary.c_str(), path.c_str());  // atomic, as a kernel file reads
}

// Counts the times a file in `dir` named `name` was opened for reading and
// closed again (inotify IN_CLOSE_NOWRITE): how a test knows the sampler took
// a reading, instead of sleeping and hoping its thread got the CPU meanwhile.
class ReadsOf {
 public:
  ReadsOf(const std::string& dir, std::string name)
      : fd_(inotify_init1(IN_CLOEXEC | IN_NONBLOCK)), name_(std::move(name)) {
    if (fd_ >= 0) inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_NOWRITE);
  }
  ~ReadsOf() {
    if (fd_ >= 0) close(fd_);
  }
  ReadsOf(const ReadsOf&) = delete;
  ReadsOf& operator=(const ReadsOf&) = delete;

  // Waits for `count` more reads; false after a minute (a safety net, not a bound).
  bool wait(int count) {
    for (int waited_s = 0; count > 0 && fd_ >= 0 && waited_s < 60;) {
      pollfd entry{fd_, POLLIN, 0};
      if (poll(&entry, 1, 1000) <= 0) {
        ++waited_s;
        continue;
      }
      alignas(inotify_event) char buffer[4096];
      ssize_t n = read(fd_, buffer, sizeof buffer);
      for (ssize_t at = 0; at < n;) {
        auto* event = reinterpret_cast<inotify_event*>(buffer + at);
        if (event->len > 0 && name_ == event->name) --count;
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    return count <= 0;
  }

 private:
  int fd_;
  std::string name_;
};

TEST(MemorySampler, KeepsTheHighestValueSeen) {
  std::string dir = ::testing::TempDir();
  if (!dir.empty() && dir.back() == '/') dir.pop_back();
  std::string name = "memory.current." + std::to_string(getpid());
  std::string path = dir + "/" + name;
  write_value(path, "1000\n");
  MemorySampler sampler(path, 1);
  write_value(path, "90000\n");
  // Two reads after the new value is in place: the second one opened the file
  // after the first had closed it, so after the rename, and saw 90000.
  ReadsOf reads(dir, name);
  ASSERT_TRUE(reads.wait(2)) << "the sampler never read " << path;
  write_value(path, "500\n");  // the run freed memory again; stop() reads it one last time
  EXPECT_EQ(sampler.stop(), 90000);
  EXPECT_EQ(sampler.stop(), 90000);  // idempotent
  std::remove(path.c_str());
}

TEST(MemorySampler, NothingReadableMeansNoPeak) {
  MemorySampler sampler("/nonexistent/memory.current", 1);
  EXPECT_FALSE(sampler.stop().has_value());
}

}  // namespace
}  // namespace coldbench::limits
