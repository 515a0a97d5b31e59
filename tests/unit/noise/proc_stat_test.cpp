#include "noise/proc_stat.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace coldbench::noise {
namespace {

using ::testing::HasSubstr;

constexpr const char* kTwoCpus =
    "cpu  2098764 52632 480169 66971 2303 0 2533 17 0 0\n"
    "cpu0 1052763 25951 232605 39452 556 0 352 9 0 0\n"
    "cpu1 1046001 26680 247564 27518 1746 0 2181 8 0 0\n"
    "intr 1234 5 6\n"
    "ctxt 99\n"
    "btime 1700000000\n";

TEST(ProcStat, ParsesTheAggregateLineAndCountsCpus) {
  auto stat = parse_proc_stat(kTwoCpus);
  ASSERT_TRUE(stat) << stat.error().message;
  EXPECT_EQ(stat->cpus, 2);
  EXPECT_EQ(stat->all.user, 2098764u);
  EXPECT_EQ(stat->all.idle, 66971u);
  EXPECT_EQ(stat->all.iowait, 2303u);
  EXPECT_EQ(stat->all.steal, 17u);
  EXPECT_EQ(stat->all.busy(), 2098764u + 52632u + 480169u + 0u + 2533u);
}

TEST(ProcStat, AnOldKernelsFourFieldsReadAsZeroForTheRest) {
  auto stat = parse_proc_stat("cpu 10 20 30 40\ncpu0 10 20 30 40\n");
  ASSERT_TRUE(stat) << stat.error().message;
  EXPECT_EQ(stat->all.steal, 0u);
  EXPECT_EQ(stat->all.iowait, 0u);
  EXPECT_EQ(stat->all.busy(), 60u);
}

TEST(ProcStat, MalformedTextIsAClearErrorNotACrash) {
  struct Case {
    std::string text;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"", "no \"cpu\" line"},
           {"intr 1 2 3\nctxt 4\n", "no \"cpu\" line"},
           {"cpu 1 2 3\ncpu0 1 2 3 4\n", "expected at least 4"},
           {"cpu 1 2 x 4\ncpu0 1 2 3 4\n",
            "field 3 of the \"cpu\" line is not a count of ticks: 'x'"},
           {"cpu 1 2 -3 4\ncpu0 1 2 3 4\n", "field 3"},
           {"cpu 99999999999999999999999 2 3 4\ncpu0 1 2 3 4\n", "field 1"},
           {"cpu 1 2 3 4\n", "no per-CPU"},
           {"cpu 1 2 3 4\ncpu 1 2 3 4\ncpu0 1 2 3 4\n", "two \"cpu\" lines"},
           {std::string("cpu 1 2\x01\xff 3 4\ncpu0 1 2 3 4\n"), "field 2"},
       }) {
    auto stat = parse_proc_stat(c.text);
    ASSERT_FALSE(stat) << c.text;
    EXPECT_THAT(stat.error().message, HasSubstr(c.says)) << c.text;
  }
}

TEST(ProcStat, BinaryGarbageIsAnError) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 131) % 256);
  EXPECT_FALSE(parse_proc_stat(garbage));
}

TEST(LoadAverage, ParsesTheThreeAverages) {
  auto load = parse_loadavg("4.76 3.50 3.20 6/120 24462\n");
  ASSERT_TRUE(load) << load.error().message;
  EXPECT_DOUBLE_EQ(load->one, 4.76);
  EXPECT_DOUBLE_EQ(load->five, 3.50);
  EXPECT_DOUBLE_EQ(load->fifteen, 3.20);
}

TEST(LoadAverage, MalformedTextIsAClearError) {
  for (const char* text : {"", "\n", "abc", "1.0 2.0", "1.0 x 3.0 1/2 3", "-1 2 3", "nan 1 1",
                           "inf 1 1", "1.0\n2.0 3.0"}) {
    auto load = parse_loadavg(text);
    ASSERT_FALSE(load) << text;
    EXPECT_THAT(load.error().message,
                HasSubstr("/proc/loadavg does not start with three load averages"))
        << text;
  }
}

TEST(CpuFrequency, ParsesKilohertzAsMegahertz) {
  auto mhz = parse_frequency_mhz("2400000\n");
  ASSERT_TRUE(mhz) << mhz.error().message;
  EXPECT_DOUBLE_EQ(*mhz, 2400.0);
}

TEST(CpuFrequency, MalformedTextIsAClearError) {
  for (const char* text : {"", "fast", "0", "-5", "2400 MHz", "1.5"}) {
    auto mhz = parse_frequency_mhz(text);
    ASSERT_FALSE(mhz) << text;
    EXPECT_THAT(mhz.error().message, HasSubstr("scaling_cur_freq is not a frequency in kHz"))
        << text;
  }
}

}  // namespace
}  // namespace coldbench::noise
