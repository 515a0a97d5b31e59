#include "core/cpu_list.hpp"

#include <gtest/gtest.h>

namespace coldbench {
namespace {

TEST(CpuList, ParsesSinglesRangesAndMixes) {
  EXPECT_EQ(*parse_cpu_list("0"), (CpuList{0}));
  EXPECT_EQ(*parse_cpu_list("0-2,5"), (CpuList{0, 1, 2, 5}));
  EXPECT_EQ(*parse_cpu_list("5,0-1,1\n"), (CpuList{0, 1, 5}));
  EXPECT_EQ(*parse_cpu_list(" 2 - 3 "), (CpuList{2, 3}));
  EXPECT_TRUE(parse_cpu_list("")->empty());
  EXPECT_TRUE(parse_cpu_list("\n")->empty());  // an unset cgroup file
}

TEST(CpuList, RejectsMalformedListsWithTheCulprit) {
  for (const char* bad : {"a", "1-", "-1", "3-1", "1,,2", "0x1", "1.5", "99999999"}) {
    auto parsed = parse_cpu_list(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find("not a CPU list"), std::string::npos)
        << parsed.error().message;
  }
  EXPECT_NE(parse_cpu_list("3-1").error().message.find("backwards"), std::string::npos);
}

TEST(CpuList, FormatsCompactRanges) {
  EXPECT_EQ(format_cpu_list({0, 1, 2, 5}), "0-2,5");
  EXPECT_EQ(format_cpu_list({0, 2, 4}), "0,2,4");
  EXPECT_EQ(format_cpu_list({7}), "7");
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 6}), "0-3,6");
  EXPECT_EQ(format_cpu_list({1}), "1");
  EXPECT_EQ(format_cpu_list({0, 2, 4, 5}), "0,2,4-5");
  EXPECT_EQ(format_cpu_list(*parse_cpu_list("3,1-2,8-9")), "1-3,8-9");
}

TEST(CpuList, IntersectsAndContains) {
  EXPECT_EQ(intersect({0, 1, 2, 3}, {1, 3, 5}), (CpuList{1, 3}));
  EXPECT_TRUE(intersect({0}, {1}).empty());
  EXPECT_TRUE(contains_all({0, 1, 2}, {0, 2}));
  EXPECT_FALSE(contains_all({0, 1}, {1, 2}));
}

TEST(CpuList, UserListsAreCheckedAgainstOnlineCpus) {
  CpuList online{0, 1};
  EXPECT_EQ(*parse_user_cpu_list("--cpuset", "1", online), (CpuList{1}));
  auto offline = parse_user_cpu_list("--cpuset", "0-3", online);
  ASSERT_FALSE(offline.ok());
  EXPECT_EQ(offline.error().message,
            "--cpuset 0-3: CPU 2-3 are not online here; valid CPUs are 0-1");
  auto one = parse_user_cpu_list("--affinity", "4", online);
  EXPECT_EQ(one.error().message, "--affinity 4: CPU 4 is not online here; valid CPUs are 0-1");
  auto empty = parse_user_cpu_list("--affinity", " ", online);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("no CPUs given"), std::string::npos);
  auto bad = parse_user_cpu_list("--cpuset", "0-", online);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("--cpuset: ", 0), 0u);
}

TEST(CpuList, OwnAffinityAndOnlineCpusAreReadable) {
  auto affinity = read_own_affinity();
  ASSERT_TRUE(affinity.ok()) << affinity.error().message;
  EXPECT_FALSE(affinity->empty());
  EXPECT_TRUE(contains_all(read_online_cpus(), *affinity));
}

}  // namespace
}  // namespace coldbench
