#include "load/ab_summary.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace coldbench::load {
namespace {

constexpr int64_t kMs = 1'000'000;

std::vector<RequestRecord> session(double b_factor) {
  std::vector<RequestRecord> records;
  for (int i = 0; i < 400; ++i) {
    RequestRecord r;
    r.id = i;
    r.arm = static_cast<int16_t>(i % 4 == 0 ? 1 : 0);
    r.intended_ns = i * 20 * kMs;
    r.sent_ns = r.intended_ns;
    const double ms = (5.0 + (i % 11) * 0.1) * (r.arm == 1 ? b_factor : 1.0);
    r.done_ns = r.sent_ns + static_cast<int64_t>(ms * kMs);
    r.status = 200;
    records.push_back(r);
  }
  return records;
}

TEST(AbSummary, NoArmsMeansNoAbSession) {
  auto records = session(1.0);
  for (auto& r : records) r.arm = -1;
  EXPECT_FALSE(summarize_ab(records, {}));
}

TEST(AbSummary, ASlowerBIsSlowerWithItsInterval) {
  auto ab = summarize_ab(session(10.0), {});
  ASSERT_TRUE(ab);
  EXPECT_EQ(ab->a.ok, 300);
  EXPECT_EQ(ab->b.ok, 100);
  EXPECT_EQ(ab->comparison.verdict, stats::Verdict::Slower);
  EXPECT_GT(ab->comparison.ratio_ci.low, 9.0);
  const auto j = to_json(*ab);
  EXPECT_EQ(j["verdict"], "slower");
  EXPECT_EQ(j["arms"]["B"]["ok"], 100);
  EXPECT_TRUE(j["arms"]["A"]["latency"].contains("p99"));
}

TEST(AbSummary, IdenticalArmsAreNotSlowerAndErrorsAreCounted) {
  auto records = session(1.0);
  records[1].status = 503;
  auto ab = summarize_ab(records, {});
  ASSERT_TRUE(ab);
  EXPECT_EQ(ab->a.server_errors, 1);
  EXPECT_EQ(ab->a.ok, 299);
  EXPECT_NE(ab->comparison.verdict, stats::Verdict::Slower);
  EXPECT_NE(ab->comparison.verdict, stats::Verdict::Faster);
}

}  // namespace
}  // namespace coldbench::load
