#include "report/study_table.hpp"

#include <gtest/gtest.h>

#include <string>

#include "../analysis/study_session.hpp"
#include "report/study_report.hpp"

namespace coldbench::report {
namespace {

using analysis::build_study_table;
using analysis::StudyRow;
using analysis::StudyTable;
using analysis::summarize_session;
using analysis::fixtures::study_session;
using analysis::fixtures::plain_session;

// The row computation itself is tested in tests/unit/analysis/study_test.cpp.
TEST(StudyTable, CellsSayHowEachConfigRan) {
  const auto doc = study_session();
  const auto summary = summarize_session(doc);
  const StudyTable table = build_study_table(doc, summary);
  ASSERT_EQ(table.rows.size(), 2u);

  const StudyRow& host = table.rows[0];
  EXPECT_EQ(format_limits(host), "-");
  EXPECT_EQ(format_threads(host), "2 / 1");
  EXPECT_EQ(format_cache(host), "cold, 2.0 % resident");
  EXPECT_EQ(format_oversubscription(host), "no");
  EXPECT_EQ(format_throttling(host), "-");

  const StudyRow& limited = table.rows[1];
  EXPECT_EQ(format_limits(limited), "cpus 1, mem 2.00 GiB");
  EXPECT_EQ(format_oversubscription(limited), "YES: 8 threads > 1 CPU");
  EXPECT_EQ(format_throttling(limited), "40 % of periods, 300.0 ms");
}

TEST(StudyTable, GridsHaveOneCellPerHeader) {
  const auto doc = study_session();
  const StudyTable table = build_study_table(doc, summarize_session(doc));
  for (const StudyGrid& grid : {setup_grid(table), results_grid(table)}) {
    ASSERT_EQ(grid.rows.size(), 2u);
    int grouped = 0;
    for (const auto& g : grid.groups) grouped += g.columns;
    EXPECT_EQ(grouped, static_cast<int>(grid.header.size()));
    for (const auto& row : grid.rows) EXPECT_EQ(row.size(), grid.header.size());
  }
  const StudyGrid results = results_grid(table);
  // Each timing column in one unit, named in its header.
  EXPECT_EQ(results.header[1], "runtime_ready (ms)");
  EXPECT_EQ(results.header[4], "to first inference (ms)");
  EXPECT_EQ(results.header[5], "wall (ms)");
  EXPECT_EQ(results.rows[1].back(), "YES: 8 threads > 1 CPU");
  EXPECT_NE(results.rows[0][1].find(" ["), std::string::npos);  // median [CI]
}

TEST(StudyTable, FallsBackToSessionEnvAndUnknownThreads) {
  const ResultsDocument doc = plain_session();
  const StudyTable table = build_study_table(doc, summarize_session(doc));
  ASSERT_EQ(table.rows.size(), 1u);
  const StudyRow& row = table.rows[0];
  EXPECT_EQ(format_threads(row), "-");
  EXPECT_EQ(format_oversubscription(row), "-");
  EXPECT_EQ(format_cache(row), "-");
  const StudyGrid results = results_grid(table);
  EXPECT_EQ(results.header[1].rfind("wall (", 0), 0u);
  EXPECT_EQ(results.rows[0][2], "-");  // latency p50
}

TEST(StudyReport, TextAndMarkdownShowTheTableAndNotes) {
  const auto doc = study_session();
  const auto summary = summarize_session(doc);
  auto text = StudyReporter(StudyReporter::Style::Text).render(doc, &summary);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("2 configs, 12 measured runs on edge (Test CPU, 4 CPUs)"), std::string::npos)
      << *text;
  EXPECT_NE(text->find("quota1-t8"), std::string::npos);
  EXPECT_NE(text->find("note: 'quota1-t8' is oversubscribed: 8 compute threads on 1 effective CPU"),
            std::string::npos)
      << *text;
  auto markdown = StudyReporter(StudyReporter::Style::Markdown).render(doc, &summary);
  ASSERT_TRUE(markdown);
  EXPECT_NE(markdown->find("## Setup"), std::string::npos);
  EXPECT_NE(markdown->find("## Results"), std::string::npos);
  EXPECT_NE(markdown->find("| quota1-t8 | 6/6 | sandbox |"), std::string::npos) << *markdown;
  EXPECT_FALSE(StudyReporter(StudyReporter::Style::Text).render(doc, nullptr));
  EXPECT_TRUE(make_reporter("study-markdown"));
}

// Found in review: the study report reports every contrast's verdict, the effect it
// could detect and, for an inconclusive one, the runs it needs.
TEST(StudyReport, ComparisonsShowVerdictsDetectableEffectAndCoverage) {
  const auto doc = study_session();
  const auto summary = summarize_session(doc);
  const StudyGrid grid = comparisons_grid(summary);
  ASSERT_EQ(grid.rows.size(), 4u);  // quota1-t8 vs host: wall and three phases
  for (const auto& row : grid.rows) {
    ASSERT_EQ(row.size(), grid.header.size());
    EXPECT_EQ(row[0], "quota1-t8");
    EXPECT_EQ(row[1], "host");
    EXPECT_NE(row[3].find("%)"), std::string::npos) << row[3];  // the ratio CI's coverage
    EXPECT_EQ(row[6], "slower") << row[2];                     // twice as slow, 6 runs a side
    EXPECT_NE(row[5].find('%'), std::string::npos) << row[5];   // "+x%": detectable at 6 + 6
  }
  auto text = StudyReporter(StudyReporter::Style::Text).render(doc, &summary);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("Comparisons: threshold 5%, alpha 0.05 (Holm-corrected over 4 comparisons)"),
            std::string::npos)
      << *text;
  auto markdown = StudyReporter(StudyReporter::Style::Markdown).render(doc, &summary);
  ASSERT_TRUE(markdown);
  EXPECT_NE(markdown->find("## Comparisons"), std::string::npos);
  // Latency of 24 pooled values: no p99 interval, and the cell says why.
  EXPECT_NE(markdown->find("n too small: 24 &lt; 299"), std::string::npos) << *markdown;  // "<" escaped
}

TEST(StudyTable, RowJsonCarriesTheNumbers) {
  const auto doc = study_session();
  const StudyTable table = build_study_table(doc, summarize_session(doc));
  const auto j = to_json(table.rows[1]);
  EXPECT_EQ(j["config"], "quota1-t8");
  EXPECT_EQ(j["oversubscribed"], true);
  EXPECT_EQ(j["limits"]["effective_cpus"], 1);
  EXPECT_EQ(j["phases"]["model_loaded"]["n"], 6);
  EXPECT_EQ(j["compute_threads"], 8);
}

}  // namespace
}  // namespace coldbench::report
