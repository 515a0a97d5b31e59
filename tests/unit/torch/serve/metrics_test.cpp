#include "torch/serve/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace coldbench::workload::metrics {
namespace {

TEST(MetricsText, EscapesLabelValuesQuotesBackslashesAndNewlines) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"
                               "\n"),
            R"(a\"b\\c\n)");
  EXPECT_EQ(escape_help("line\\one\ntwo \"quoted\""), "line\\\\one\\ntwo \"quoted\"");
}

TEST(MetricsText, FormatsSpecialFloatsAsPrometheusParsesThem) {
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(2), "2");
}

TEST(HistogramBuckets, ValueOnABoundCountsInThatBucket) {
  const std::vector<double> bounds{0.001, 0.01, 0.1};
  EXPECT_EQ(bucket_index(bounds, 0.0), 0u);
  EXPECT_EQ(bucket_index(bounds, 0.001), 0u);  // le="0.001" includes 0.001
  EXPECT_EQ(bucket_index(bounds, 0.0010001), 1u);
  EXPECT_EQ(bucket_index(bounds, 0.1), 2u);
  EXPECT_EQ(bucket_index(bounds, 5.0), 3u);  // +Inf
}

TEST(HistogramBuckets, SnapshotIsCumulativeAndCountIsTheInfBucket) {
  Histogram histogram({0.01, 0.1});
  for (double value : {0.005, 0.02, 0.03, 7.0}) histogram.observe(value);
  Histogram::Snapshot snap = histogram.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<uint64_t>{1, 3, 4}));
  EXPECT_EQ(snap.count, 4u);
  EXPECT_NEAR(snap.sum, 7.055, 1e-12);
}

TEST(HistogramBuckets, DefaultsResolveOneToHundredMillisecondsInOneTwoFiveSteps) {
  std::vector<double> bounds = default_latency_buckets();
  for (double expected : {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1}) {
    EXPECT_NE(std::find(bounds.begin(), bounds.end(), expected), bounds.end()) << expected;
  }
  EXPECT_TRUE(std::is_sorted(bounds.begin(), bounds.end()));
}

TEST(HistogramBuckets, ParseAcceptsIncreasingPositiveBounds) {
  auto bounds = parse_buckets("0.001, 0.01,0.1");
  ASSERT_TRUE(bounds) << bounds.error().message;
  EXPECT_EQ(*bounds, (std::vector<double>{0.001, 0.01, 0.1}));
}

TEST(HistogramBuckets, ParseRejectsUnorderedNegativeAndJunkBoundsNamingTheOption) {
  for (const char* text : {"0.1,0.01", "0.1,0.1", "-1", "0", "abc", "0.1,,0.2", "inf", ""}) {
    auto bounds = parse_buckets(text);
    ASSERT_FALSE(bounds) << text;
    EXPECT_NE(bounds.error().message.find("--buckets"), std::string::npos) << text;
    EXPECT_EQ(bounds.error().exit_code, kExitUsage);
  }
}

TEST(MetricsRegistry, EncodesHelpTypeLabelsAndHistogramSeries) {
  Registry registry;
  auto& requests =
      registry.counter("http_requests_total", "Requests.\nBy path.", {"path", "status"});
  auto& latency = registry.histogram("lat_seconds", "Latency.", {"model"}, {0.01, 0.1});
  registry.gauge("in_flight", "In flight.", {}).with({}).set(3);
  requests.with({"/a\"b", "200"}).add(2);
  latency.with({"m"}).observe(0.05);
  const std::string text = registry.encode();
  EXPECT_NE(
      text.find(
          "# HELP http_requests_total Requests.\\nBy path.\n# TYPE http_requests_total counter\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("http_requests_total{path=\"/a\\\"b\",status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE lat_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{model=\"m\",le=\"0.01\"} 0\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("lat_seconds_bucket{model=\"m\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{model=\"m\",le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum{model=\"m\"} 0.05\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count{model=\"m\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE in_flight gauge\nin_flight 3\n"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(MetricsRegistry, SampledValueOmittedWhenUnreadable) {
  Registry registry;
  registry.sampled("present", "Read.", Type::kGauge, [] { return std::optional<double>(4.5); });
  registry.sampled("absent", "Unreadable.", Type::kGauge, [] { return std::optional<double>(); });
  const std::string text = registry.encode();
  EXPECT_NE(text.find("present 4.5\n"), std::string::npos);
  EXPECT_EQ(text.find("\nabsent "), std::string::npos);
}

// Counters and histograms are updated from many request threads while a
// scrape reads them: no update may be lost and count must match the buckets.
TEST(MetricsRegistry, ConcurrentUpdatesAreNotLostAndScrapesStayConsistent) {
  Registry registry;
  auto& counter = registry.counter("c_total", "C.", {"kind"});
  auto& histogram = registry.histogram("h_seconds", "H.", {}, {0.5});
  constexpr int kThreads = 8;
  constexpr int kEach = 20000;
  std::atomic<bool> writing{true};
  std::thread scraper([&] {
    while (writing) {
      Histogram::Snapshot snap = histogram.with({}).snapshot();
      ASSERT_EQ(snap.cumulative.back(), snap.count);
      ASSERT_LE(snap.cumulative.front(), snap.count);
      (void)registry.encode();
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        counter.with({t % 2 ? "odd" : "even"}).add();
        histogram.with({}).observe(i % 2 ? 0.25 : 1.0);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  writing = false;
  scraper.join();
  EXPECT_EQ(counter.with({"odd"}).value() + counter.with({"even"}).value(),
            uint64_t{kThreads} * kEach);
  Histogram::Snapshot snap = histogram.with({}).snapshot();
  EXPECT_EQ(snap.count, uint64_t{kThreads} * kEach);
  EXPECT_EQ(snap.cumulative.front(), uint64_t{kThreads} * kEach / 2);
  EXPECT_DOUBLE_EQ(snap.sum, kThreads * kEach / 2 * 1.25);
}

}  // namespace
}  // namespace coldbench::workload::metrics
