#include "analysis/study.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "study_session.hpp"

namespace coldbench::analysis {
namespace {

using fixtures::study_session;
using fixtures::plain_session;

TEST(AnalysisStudy, OneRowPerConfigWithSetupAndResults) {
  const auto doc = study_session();
  const auto summary = summarize_session(doc);
  const StudyTable table = build_study_table(doc, summary);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.phase_names,
            (std::vector<std::string>{"runtime_ready", "model_loaded", "first_inference"}));

  const StudyRow& host = table.rows[0];
  EXPECT_EQ(host.config, "host");
  EXPECT_EQ(host.isolation, "host");
  EXPECT_EQ(host.effective_cpus, 4);
  EXPECT_TRUE(host.effective_cpus_from_host);
  EXPECT_EQ(host.env, std::vector<std::string>{"OMP_NUM_THREADS=2"});
  EXPECT_EQ(host.parameters, std::vector<std::string>{"mode=script"});
  EXPECT_EQ(host.compute_threads, 2);  // info torch.num_threads wins over the env label
  EXPECT_EQ(host.interop_threads, 1);
  EXPECT_EQ(host.cache_mode, "cold");
  ASSERT_TRUE(host.residency_percent);
  EXPECT_DOUBLE_EQ(*host.residency_percent, 2.0);
  EXPECT_FALSE(host.throttled_fraction);
  EXPECT_FALSE(host.oversubscribed());
  ASSERT_TRUE(host.latency);
  EXPECT_EQ(host.latency->n, 24u);  // pooled: 6 runs x 4 values
  EXPECT_DOUBLE_EQ(host.latency->median, 5.75);
  ASSERT_TRUE(host.time_to_first_inference);
  EXPECT_DOUBLE_EQ(host.time_to_first_inference->median, 152.5);

  const StudyRow& limited = table.rows[1];
  EXPECT_EQ(limited.isolation, "sandbox");
  EXPECT_EQ(limited.effective_cpus, 1);
  EXPECT_FALSE(limited.effective_cpus_from_host);
  EXPECT_EQ(limited.cpus, 1.0);
  EXPECT_EQ(limited.memory_bytes, int64_t{2} << 30);
  EXPECT_TRUE(limited.oversubscribed());
  EXPECT_EQ(limited.oversubscription->compute_threads, 8);
  EXPECT_EQ(limited.oversubscription->effective_cpus, 1);
  ASSERT_TRUE(limited.throttled_fraction);
  EXPECT_DOUBLE_EQ(*limited.throttled_fraction, 0.4);
  EXPECT_EQ(limited.throttled_ms, 300.0);
  ASSERT_TRUE(limited.peak_rss_kb);
  EXPECT_DOUBLE_EQ(*limited.peak_rss_kb, 200 * 1024);
}

TEST(AnalysisStudy, FallsBackToSessionEnvAndUnknownThreads) {
  const ResultsDocument doc = plain_session();
  const StudyTable table = build_study_table(doc, summarize_session(doc));
  ASSERT_EQ(table.rows.size(), 1u);
  const StudyRow& row = table.rows[0];
  EXPECT_EQ(row.env, std::vector<std::string>{"FOO=1"});
  EXPECT_FALSE(row.compute_threads);
  EXPECT_FALSE(row.interop_threads);
  EXPECT_TRUE(row.cache_mode.empty());
  EXPECT_TRUE(table.phase_names.empty());
  EXPECT_FALSE(row.latency);
}

}  // namespace
}  // namespace coldbench::analysis
