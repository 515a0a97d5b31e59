#include "report/text_format.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace coldbench::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(ReportTextFormat, ValueInTimeUnits) {
  EXPECT_EQ(format_value(45.6, "ms"), "45.60 ms");
  EXPECT_EQ(format_value(0.5, "ms"), "500 µs");
  EXPECT_EQ(format_value(1.5, "s"), "1.500 s");
  EXPECT_EQ(format_value(0.0456, "s"), "45.60 ms");
}

TEST(ReportTextFormat, ValueInByteUnits) {
  EXPECT_EQ(format_value(312.0 * 1024, "KiB"), "312 MiB");  // rusage max RSS is in KiB
  EXPECT_EQ(format_value(512, "KiB"), "512 KiB");
  EXPECT_EQ(format_value(812, "bytes"), "812 B");
  EXPECT_EQ(format_value(2048, "B"), "2.00 KiB");
}

TEST(ReportTextFormat, ValueInPercentAndFreeUnits) {
  EXPECT_EQ(format_value(12.5, "%"), "12.5 %");
  EXPECT_EQ(format_value(100, "%"), "100.0 %");
  EXPECT_EQ(format_value(1234, "samples/s"), "1234 samples/s");
  EXPECT_EQ(format_value(1234, ""), "1234");
  EXPECT_EQ(format_value(0, ""), "0");
  EXPECT_EQ(format_value(3.14159, "tok"), "3.142 tok");
  EXPECT_EQ(format_value(123456, ""), "123456");  // counts in digits (issue 19: "4.737e+05 minor")
  EXPECT_EQ(format_value(12345.6, "minor"), "12346 minor");
  EXPECT_EQ(format_value(2e15, ""), "2.000e+15");
  EXPECT_EQ(format_value(9999.7, ""), "10000");  // not "1e+04"
  EXPECT_EQ(format_value(0.0001, "loss"), "1.000e-04 loss");
  EXPECT_EQ(format_value(-2.5, ""), "-2.5");
}

TEST(ReportTextFormat, NonFiniteValuesAreNotAvailable) {
  for (const char* unit : {"ms", "s", "KiB", "bytes", "%", "", "x"}) {
    EXPECT_EQ(format_value(kNaN, unit), "n/a") << unit;
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity(), unit), "n/a") << unit;
  }
}

TEST(ReportTextFormat, PValues) {
  EXPECT_EQ(format_p(kNaN), "n/a");
  EXPECT_EQ(format_p(0.0), "<1e-6");
  EXPECT_EQ(format_p(1e-7), "<1e-6");
  EXPECT_EQ(format_p(5e-4), "5.0e-04");
  EXPECT_EQ(format_p(0.001), "0.0010");
  EXPECT_EQ(format_p(0.0123), "0.0123");
  EXPECT_EQ(format_p(1.0), "1.0000");
}

TEST(ReportTextFormat, RatioWithAndWithoutInterval) {
  stats::Comparison c;
  EXPECT_EQ(format_ratio_ci(c), "n/a");
  c.ratio = 1.25;
  EXPECT_EQ(format_ratio_ci(c), "1.250x");
  c.ratio_ci.low = 1.2;
  c.ratio_ci.high = 1.3;
  c.ratio_ci.level = 0.9523;
  EXPECT_EQ(format_ratio_ci(c), "1.250x [1.200x, 1.300x] (95.2%)");
  c.ratio_ci.level = 0.9;  // 3 + 3 runs cannot reach 95%: the text says so
  EXPECT_EQ(format_ratio_ci(c), "1.250x [1.200x, 1.300x] (only 90%)");
  c.ratio_ci.high = kNaN;
  EXPECT_EQ(format_ratio_ci(c), "1.250x");
}

// Found in review: a p99 of 5 values is their maximum; the cell says so.
TEST(ReportTextFormat, TailPercentileOfFewValuesSaysNTooSmall) {
  const stats::Summary five = stats::summarize(std::vector<double>{5, 1, 4, 2, 3});
  EXPECT_EQ(format_tail(five, 0.99, "ms"), "n too small: 5 < 299 (max 5.000 ms)");
  std::vector<double> many;
  for (int i = 1; i <= 400; ++i) many.push_back(double(i));
  const std::string p99 = format_tail(stats::summarize(many), 0.99, "");
  EXPECT_NE(p99.find("396"), std::string::npos) << p99;  // type-7 p99 of 1..400 is 396.01
  EXPECT_NE(p99.find("%)"), std::string::npos) << p99;
}

TEST(ReportTextFormat, VerdictAndDetectableEffect) {
  stats::Comparison c;
  c.n_baseline = c.n_candidate = 3;
  c.mde_ratio = std::numeric_limits<double>::infinity();
  EXPECT_EQ(format_mde(c), "none at n 3/3");
  c.mde_ratio = 1.123;
  EXPECT_EQ(format_mde(c), "+12.3%");
  c.verdict = stats::Verdict::Inconclusive;
  c.runs_needed = 7;
  EXPECT_EQ(format_verdict(c), "inconclusive: needs ~7 runs/side");
  c.verdict = stats::Verdict::Equivalent;
  EXPECT_EQ(format_verdict(c), "equivalent");
}

TEST(ReportTextFormat, MedianWithIntervalAndRange) {
  analysis::SampleSummary s;
  s.unit = "ms";
  s.summary.median = 45.6;
  s.summary.min = 44.1;
  s.summary.max = 48.0;
  EXPECT_EQ(format_median_ci(s), "45.60 ms");
  s.summary.median_ci.low = 44.9;
  s.summary.median_ci.high = 46.2;
  s.summary.median_ci.level = 0.9785;
  EXPECT_EQ(format_median_ci(s), "45.60 ms [44.90 ms, 46.20 ms] (97.9%)");
  s.summary.median_ci.level = 0.75;
  EXPECT_EQ(format_median_ci(s), "45.60 ms [44.90 ms, 46.20 ms] (only 75%)");
  EXPECT_EQ(format_range(s), "44.10 ms .. 48.00 ms");
  analysis::SampleSummary empty;
  empty.unit = "ms";
  EXPECT_EQ(format_median_ci(empty), "n/a");
  EXPECT_EQ(format_range(empty), "n/a .. n/a");
}

}  // namespace
}  // namespace coldbench::report

namespace coldbench::report {
namespace {

TEST(ReportTextFormat, AdaptiveLinesSayTheRuleAndWhyEachCommandStopped) {
  ResultsDocument fixed;
  EXPECT_TRUE(adaptive_lines(fixed).empty());

  ResultsDocument doc;
  doc.adaptive = {{"rule", "precision"},
                  {"target_ci", 0.02},
                  {"level", 0.95},
                  {"min_runs", 7},
                  {"max_runs", 15},
                  {"max_time_s", 300},
                  {"commands",
                   {{{"name", "a"}, {"runs", 9}, {"stopped", "target-ci"}, {"median_ci_half_width", 0.0183}},
                    {{"name", "b"}, {"runs", 15}, {"stopped", "max-runs"}, {"median_ci_half_width", 0.071}},
                    {{"name", "c"}, {"runs", 7}, {"stopped", "failing"}, {"median_ci_half_width", nullptr}}}}};
  auto lines = adaptive_lines(doc);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "Runs: auto, until each median's 95% interval is within +-2% (min 7, max 15 runs, at most 5 min)");
  EXPECT_EQ(lines[1], "  'a': 9 runs, stopped: median known to +-1.8%");
  EXPECT_EQ(lines[2], "  'b': 15 runs, stopped: --max-runs reached, median known to +-7.1%");
  EXPECT_EQ(lines[3], "  'c': 7 runs, stopped: its first runs all failed");
  auto short_of_target = adaptive_lines(doc, /*short_only=*/true);
  ASSERT_EQ(short_of_target.size(), 3u);
  EXPECT_EQ(short_of_target[1], lines[2]);

  doc.adaptive["rule"] = "comparison";
  doc.adaptive["sequential"] = {{"alpha", 0.05}, {"looks", 3}, {"max_looks", 9}, {"decision_alpha", 0.0061}};
  EXPECT_EQ(adaptive_lines(doc)[0],
            "Runs: auto, in rounds until every comparison with the first command is conclusive (alpha spending: "
            "one look per round; verdicts decided at look 3 of 9, alpha 0.0061 of the 0.05 spread over the looks; "
            "min 7, max 15 runs, at most 5 min)");
}

}  // namespace
}  // namespace coldbench::report

namespace coldbench::report {
namespace {

// Issue 19: one column mixed "812 us" and "1.2 s". A column has one unit, chosen from its largest value.
TEST(ReportTimeColumn, OneUnitFromTheLargestValue) {
  const TimeColumn ms = time_column({0.812, 22.03, 31.2});
  EXPECT_EQ(ms.unit, "ms");
  EXPECT_EQ(in_column(0.812, ms), "0.81");
  EXPECT_EQ(in_column(31.2, ms), "31.20");
  const TimeColumn s = time_column({2.0, 1500.0});
  EXPECT_EQ(s.unit, "s");
  EXPECT_EQ(in_column(1500.0, s), "1.500");
  EXPECT_EQ(in_column(2.0, s), "0.002");
  const TimeColumn us = time_column({0.3, 0.31});
  EXPECT_EQ(us.unit, "µs");
  EXPECT_EQ(in_column(0.3, us), "300");
  const TimeColumn large = time_column({250.0, std::numeric_limits<double>::quiet_NaN()});
  EXPECT_EQ(in_column(250.0, large), "250.0");
  EXPECT_EQ(in_column(std::numeric_limits<double>::quiet_NaN(), large), "n/a");
}

// run -u (hyperfine's --time-unit): the unit the user fixed, whatever the values.
TEST(ReportTimeColumn, UnitFixedByTheUser) {
  const TimeColumn s = time_column({0.812, 22.03}, "s");
  EXPECT_EQ(s.unit, "s");
  EXPECT_EQ(in_column(22.03, s), "0.022");
  const TimeColumn us = time_column({0.812, 22.03}, "µs");
  EXPECT_EQ(us.unit, "µs");
  EXPECT_EQ(in_column(22.03, us), "22030.0");
  EXPECT_EQ(time_column({0.812, 22.03}, "").unit, "ms");  // not fixed: chosen as above
}

}  // namespace
}  // namespace coldbench::report
