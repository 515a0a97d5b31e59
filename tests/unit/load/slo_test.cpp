#include "load/slo.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace coldbench::load {
namespace {

constexpr int64_t kMs = 1'000'000;

std::vector<RequestRecord> answered(int n, const std::function<double(int)>& latency_ms) {
  std::vector<RequestRecord> records;
  for (int i = 0; i < n; ++i) {
    RequestRecord r;
    r.id = i;
    r.intended_ns = i * 10 * kMs;
    r.sent_ns = r.intended_ns;
    r.done_ns = r.intended_ns + static_cast<int64_t>(latency_ms(i) * 1e6);
    r.status = 200;
    records.push_back(r);
  }
  return records;
}

TEST(SloParse, QuantilesAndAnErrorBound) {
  auto slo = parse_slo("p99=50ms, p50=10ms,p99.9=0.2s,errors=1%");
  ASSERT_TRUE(slo) << slo.error().message;
  ASSERT_EQ(slo->bounds.size(), 4u);
  EXPECT_EQ(slo->bounds[0].name, "p99");
  EXPECT_DOUBLE_EQ(slo->bounds[0].p, 0.99);
  EXPECT_DOUBLE_EQ(slo->bounds[0].limit_ms, 50);
  EXPECT_DOUBLE_EQ(slo->bounds[2].p, 0.999);
  EXPECT_DOUBLE_EQ(slo->bounds[2].limit_ms, 200);
  EXPECT_TRUE(slo->bounds[3].error_rate);
  EXPECT_DOUBLE_EQ(slo->bounds[3].max_fraction, 0.01);
  EXPECT_DOUBLE_EQ(parse_slo("errors=0.02")->bounds[0].max_fraction, 0.02);
  EXPECT_EQ(min_requests_for(*parse_slo("p99=50ms,p50=1s")), 299);
}

TEST(SloParse, BadStringsNameTheProblemAndTheForm) {
  for (const char* bad :
       {"", "p99", "p99=", "p99=fast", "p100=5ms", "p0=5ms", "q99=5ms", "latency=5ms",
        "p99=5ms,p99=6ms", "errors=0%", "errors=150%", "errors=x", "p99=-5ms", "p99=5ms,"}) {
    auto slo = parse_slo(bad);
    EXPECT_FALSE(slo) << bad;
    if (!slo) {
      const std::string& message = slo.error().message;
      EXPECT_NE(message.find("--slo"), std::string::npos) << message;
      EXPECT_TRUE(message.find("e.g.") != std::string::npos ||
                  message.find("write") != std::string::npos ||
                  message.find("keep one") != std::string::npos ||
                  message.find("such as") != std::string::npos)
          << message;
    }
  }
}

TEST(SloJudge, PassesOnlyWhenTheWholeIntervalMeetsTheBound) {
  // 1000 latencies 1..1000 ms/10: p99 is about 99 ms with an interval of a few ms.
  auto records = answered(1000, [](int i) { return (i % 1000 + 1) / 10.0; });
  auto pass = judge_slo(*parse_slo("p99=150ms"), records);
  EXPECT_EQ(pass.verdict, Verdict::Pass);
  EXPECT_LE(pass.bounds[0].high, 150);
  auto fail = judge_slo(*parse_slo("p99=50ms"), records);
  EXPECT_EQ(fail.verdict, Verdict::Fail);
  EXPECT_GT(fail.bounds[0].low, 50);
  // A bound inside the interval: neither shown met nor shown missed.
  const double inside = (pass.bounds[0].low + pass.bounds[0].high) / 2;
  ASSERT_LT(pass.bounds[0].low, pass.bounds[0].high);
  auto unsure = judge_slo(*parse_slo(fmt::format("p99={}ms", inside)), records);
  EXPECT_EQ(unsure.verdict, Verdict::Inconclusive);
}

TEST(SloJudge, TooFewRequestsIsInconclusiveWithTheCountNeeded) {
  auto records = answered(100, [](int) { return 1.0; });
  auto j = judge_slo(*parse_slo("p99=50ms"), records);
  EXPECT_EQ(j.verdict, Verdict::Inconclusive);
  EXPECT_EQ(j.bounds[0].n_needed, 299);
}

TEST(SloJudge, FailedRequestsCountAsInfinitelySlowSoShedLoadCannotPass) {
  auto records = answered(1000, [](int) { return 1.0; });
  for (int i = 0; i < 50; ++i) records[static_cast<size_t>(i * 20)].status = 503;  // 5% fast 503s
  auto j = judge_slo(*parse_slo("p99=50ms,errors=1%"), records);
  EXPECT_EQ(j.verdict, Verdict::Fail);
  EXPECT_EQ(j.failed, 50);
  EXPECT_TRUE(std::isinf(j.bounds[0].value));
  EXPECT_EQ(j.bounds[0].verdict, Verdict::Fail);
  EXPECT_EQ(j.bounds[1].verdict, Verdict::Fail);
  EXPECT_NEAR(j.bounds[1].value, 0.05, 1e-12);
  auto text = to_json(j).dump();
  EXPECT_NE(text.find("\"inf\""), std::string::npos);

  auto clean = answered(1000, [](int) { return 1.0; });
  EXPECT_EQ(judge_slo(*parse_slo("errors=1%"), clean).verdict, Verdict::Pass);
}

}  // namespace
}  // namespace coldbench::load
