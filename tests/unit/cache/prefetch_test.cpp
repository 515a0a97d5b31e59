#include "cache/prefetch.hpp"

#include <gtest/gtest.h>

#include <random>

#include "cache/page_cache.hpp"
#include "temp_dir.hpp"

namespace coldbench::cache {
namespace {

TEST(PrefetchList, FormatsAndParsesBackIncludingPathsWithSpaces) {
  std::vector<PrefetchRange> ranges = {{"/usr/lib/libtorch_cpu.so", 0, 65536},
                                       {"/home/me/my model.pt", 4096, 8192},
                                       {"/usr/lib/libtorch_cpu.so", 1048576, 4096}};
  const std::string text = format_prefetch_list(ranges, "recorded from 'mnv2'\nsecond line");
  EXPECT_EQ(text.rfind(std::string(kPrefetchListHeader) + "\n", 0), 0u);
  EXPECT_NE(text.find("# second line\n"), std::string::npos);
  EXPECT_NE(text.find("\n4096 8192 /home/me/my model.pt\n"), std::string::npos);
  auto parsed = parse_prefetch_list(text, "list");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 3u);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_EQ((*parsed)[i].path, ranges[i].path);
    EXPECT_EQ((*parsed)[i].offset, ranges[i].offset);
    EXPECT_EQ((*parsed)[i].length, ranges[i].length);
  }
}

TEST(PrefetchList, RejectsBadInputWithTheLineAndTheFix) {
  auto no_header = parse_prefetch_list("0 4096 /a\n", "l.txt");
  ASSERT_FALSE(no_header);
  EXPECT_NE(no_header.error().message.find("l.txt:1: not a prefetch list"), std::string::npos);
  EXPECT_NE(no_header.error().message.find("--record-prefetch"), std::string::npos);

  const std::string head = std::string(kPrefetchListHeader) + "\n";
  auto bad_number = parse_prefetch_list(head + "# c\n0 4096 /a\nx 1 /b\n", "l.txt");
  ASSERT_FALSE(bad_number);
  EXPECT_NE(bad_number.error().message.find("l.txt:4: expected 'OFFSET LENGTH PATH'"),
            std::string::npos);
  auto negative = parse_prefetch_list(head + "-1 4096 /a\n", "l.txt");
  EXPECT_FALSE(negative);
  auto relative = parse_prefetch_list(head + "0 4096 lib/a.so\n", "l.txt");
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().message.find("not absolute"), std::string::npos);
  auto missing_path = parse_prefetch_list(head + "0 4096\n", "l.txt");
  EXPECT_FALSE(missing_path);
  EXPECT_FALSE(parse_prefetch_list("", "empty"));
  // Blank lines, CRLF and zero-length ranges are fine; the latter are dropped.
  auto ok = parse_prefetch_list(head + "\r\n0 0 /a\r\n8192 4096 /b\r\n", "l.txt");
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].path, "/b");
}

TEST(PrefetchList, FirstTouchesBecomeRangesInSampleThenFileThenPageOrder) {
  const std::vector<std::string> files = {"/lib/a", "/lib/b"};
  const std::vector<int64_t> sizes = {5 * 4096, 3 * 4096 + 10};
  std::vector<FirstTouch> touches = {
      {1, 0, 3}, {0, 1, 0}, {0, 1, 1}, {0, 0, 0},
      {0, 0, 1}, {1, 0, 4}, {2, 1, 3},  // b's last page is partial
      {0, 0, 3},                        // not next to page 1: own range
  };
  auto ranges = ranges_from_first_touches(touches, files, 4096, sizes);
  ASSERT_EQ(ranges.size(), 5u);
  EXPECT_EQ(ranges[0].path, "/lib/a");
  EXPECT_EQ(ranges[0].offset, 0);
  EXPECT_EQ(ranges[0].length, 2 * 4096);
  EXPECT_EQ(ranges[1].offset, 3 * 4096);
  EXPECT_EQ(ranges[1].length, 4096);
  EXPECT_EQ(ranges[2].path, "/lib/b");
  EXPECT_EQ(ranges[2].length, 2 * 4096);
  EXPECT_EQ(ranges[3].path, "/lib/a");  // sample 1: pages 3 (again, a later sample) and 4 merge
  EXPECT_EQ(ranges[3].offset, 3 * 4096);
  EXPECT_EQ(ranges[3].length, 2 * 4096);
  EXPECT_EQ(ranges[4].path, "/lib/b");
  EXPECT_EQ(ranges[4].offset, 3 * 4096);
  EXPECT_EQ(ranges[4].length, 10);
}

TEST(PrefetchReplay, ReadsEveryRangeAndCountsTheOnesThatFail) {
  testing::TempDir dir;
  const std::string path = dir.write("data.bin", std::string(3 * 1024 * 1024, 'x'));
  std::vector<PrefetchRange> ranges = {
      {path, 0, 2 * 1024 * 1024 + 7},
      {"/nonexistent/coldbench-prefetch", 0, 4096},
      {path, 3 * 1024 * 1024 - 100, 4096}};  // runs past the end: what is there
  PrefetchOutcome outcome = replay_prefetch(ranges, PrefetchMethod::Read);
  EXPECT_EQ(outcome.ranges, 2);
  EXPECT_EQ(outcome.failed, 1);
  EXPECT_EQ(outcome.bytes, 2 * 1024 * 1024 + 7 + 100);
  EXPECT_FALSE(outcome.stopped);

  std::atomic<bool> stop{true};
  PrefetchOutcome stopped = replay_prefetch(ranges, PrefetchMethod::Read, &stop);
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(stopped.ranges, 0);
}

TEST(PrefetchReplay, ConcurrentReadersReadEveryByteOfEveryRangeOnce) {
  testing::TempDir dir;
  const std::string a = dir.write("a.bin", std::string(5 * 1024 * 1024 + 3, 'a'));
  const std::string b = dir.write("b.bin", std::string(700 * 1024, 'b'));
  std::vector<PrefetchRange> ranges;
  int64_t expected = 0;
  for (int i = 0; i < 12; ++i) {
    // Ranges of 0 to ~2.3 MiB, alternating files, so pieces of one range
    // and ranges of two files are spread over the readers.
    const bool big = i % 2 == 0;
    const int64_t length = big ? int64_t(i) * 200 * 1024 + 11 : int64_t(i) * 1000;
    const int64_t offset = big ? int64_t(i) * 1024 : 4096;
    ranges.push_back({big ? a : b, offset, length});
    expected += length;
  }
  for (PrefetchMethod method : {PrefetchMethod::Read, PrefetchMethod::WillNeed}) {
    PrefetchOutcome outcome = replay_prefetch(ranges, method);
    EXPECT_EQ(outcome.ranges, 12);
    EXPECT_EQ(outcome.failed, 0);
    EXPECT_EQ(outcome.bytes, expected);
    EXPECT_FALSE(outcome.stopped);
  }
}

TEST(FirstTouchRecorder, RecordsPagesReadWhileItRunsAndNotThoseResidentBefore) {
  testing::TempDir dir;
  std::string data(4 * 1024 * 1024, '\0');
  std::mt19937 random(3);
  for (auto& c : data) c = static_cast<char>(random());
  const std::string path = dir.write("data.bin", data);
  auto evicted = evict_from_page_cache(path);
  ASSERT_TRUE(evicted);
  auto before = measure_residency(path);
  ASSERT_TRUE(before);
  if (before->resident_bytes != 0)
    GTEST_SKIP() << "eviction does not work here (tmpfs?): " << before->resident_bytes;
  FirstTouchRecorder recorder({path}, 1.0);
  recorder.start();
  // Read the second MiB, then the first: the list must keep that order.
  PrefetchOutcome second = replay_prefetch({{path, 1 << 20, 1 << 20}}, PrefetchMethod::Read);
  EXPECT_EQ(second.bytes, 1 << 20);
  usleep(50 * 1000);
  PrefetchOutcome first = replay_prefetch({{path, 0, 1 << 20}}, PrefetchMethod::Read);
  EXPECT_EQ(first.bytes, 1 << 20);
  auto ranges = recorder.stop();
  EXPECT_GE(recorder.samples(), 2);
  ASSERT_FALSE(ranges.empty());
  int64_t total = 0;
  for (const auto& r : ranges) total += r.length;
  EXPECT_GE(total, 2 << 20);  // readahead may bring in more
  EXPECT_GE(ranges.front().offset, 1 << 20) << "the second MiB was touched first";
}

}  // namespace
}  // namespace coldbench::cache
