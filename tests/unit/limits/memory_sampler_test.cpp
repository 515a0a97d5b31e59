#include "limits/memory_sampler.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace coldbench::limits {
namespace {

void write_value(const std::string& path, const std::string& text) {
  std::string temporary = path + ".new";
  std::ofstream(temporary) << text;
  std::rename(temporary.c_str(), path.c_str());  // atomic, as a kernel file reads
}

TEST(MemorySampler, KeepsTheHighestValueSeen) {
  std::string path = ::testing::TempDir() + "/memory.current." + std::to_string(getpid());
  write_value(path, "1000\n");
  MemorySampler sampler(path, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  write_value(path, "90000\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  write_value(path, "500\n");  // the run freed memory again
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
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
