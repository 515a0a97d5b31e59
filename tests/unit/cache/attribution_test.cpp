#include "cache/attribution.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "temp_dir.hpp"

namespace coldbench::cache {
namespace {

TEST(AttributeReads, GainedBytesPerFileAreAfterMinusBeforeMostFirst) {
  std::vector<FileResidency> before = {
      {"/lib/a.so", 100, 10}, {"/lib/b.so", 50, 0}, {"/lib/c.so", 70, 70}, {"/lib/gone.so", 30, 0}};
  std::vector<FileResidency> after = {{"/lib/a.so", 100, 40},
                                      {"/lib/b.so", 50, 50},
                                      {"/lib/c.so", 70, 60},
                                      {"/lib/new.so", 80, 80}};
  CacheReads reads = attribute_reads(before, after);
  // a gained 30, b 50; c lost pages (counted as no read); gone and new are on one side only.
  EXPECT_EQ(reads.read_bytes, 80);
  EXPECT_EQ(reads.files_read, 2);
  ASSERT_EQ(reads.top.size(), 2u);
  EXPECT_EQ(reads.top[0].path, "/lib/b.so");
  EXPECT_EQ(reads.top[0].read_bytes(), 50);
  EXPECT_EQ(reads.top[1].path, "/lib/a.so");
  EXPECT_EQ(reads.top[1].resident_before, 10);
  EXPECT_EQ(reads.top[1].resident_after, 40);
}

TEST(AttributeReads, KeepsTheTopFilesButCountsEveryFile) {
  std::vector<FileResidency> before, after;
  for (int i = 0; i < 15; ++i) {
    before.push_back({"/f" + std::to_string(i), 1000, 0});
    after.push_back({"/f" + std::to_string(i), 1000, 10 * (i + 1)});
  }
  CacheReads reads = attribute_reads(before, after, 3);
  EXPECT_EQ(reads.files_read, 15);
  EXPECT_EQ(reads.read_bytes, 10 * (15 * 16 / 2));
  ASSERT_EQ(reads.top.size(), 3u);
  EXPECT_EQ(reads.top[0].path, "/f14");
  EXPECT_EQ(reads.top[2].path, "/f12");
}

TEST(AttributeReads, EqualGainsPutTheLargerFileFirst) {
  CacheReads reads =
      attribute_reads({{"/small", 10, 0}, {"/big", 90, 0}}, {{"/small", 10, 10}, {"/big", 90, 10}});
  ASSERT_EQ(reads.top.size(), 2u);
  EXPECT_EQ(reads.top[0].path, "/big");
}

TEST(SequentialFloor, ReadsTheBytesAskedForAndNamesTheMethod) {
  testing::TempDir dir;
  std::string data(3 * 1024 * 1024 + 100, '\0');
  std::mt19937 random(7);
  for (auto& c : data) c = static_cast<char>(random());
  const std::string path = dir.write("data.bin", data);
  auto floor = measure_sequential_floor({{path, 2 * 1024 * 1024 + 5}, {path, 0}});
  ASSERT_TRUE(floor) << floor.error().message;
  EXPECT_EQ(floor->bytes, 2 * 1024 * 1024 + 5);
  EXPECT_GT(floor->ms, 0);
  EXPECT_TRUE(floor->method == "O_DIRECT pread" || floor->method == "pread after eviction" ||
              floor->method.find("O_DIRECT") != std::string::npos)
      << floor->method;
  // A file shorter than asked for: what it has.
  auto whole = measure_sequential_floor({{path, 100 * 1024 * 1024}});
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->bytes, int64_t(data.size()));
}

TEST(SequentialFloor, AMissingFileIsAnErrorNamingIt) {
  auto floor = measure_sequential_floor({{"/nonexistent/coldbench-floor", 4096}});
  ASSERT_FALSE(floor);
  EXPECT_NE(floor.error().message.find("/nonexistent/coldbench-floor"), std::string::npos);
}

}  // namespace
}  // namespace coldbench::cache
