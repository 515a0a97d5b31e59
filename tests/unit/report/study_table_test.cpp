#include "report/study_table.hpp"

#include <gtest/gtest.h>

#include <string>

#include "report/study_report.hpp"

namespace coldbench::report {
namespace {

using analysis::build_study_table;
using analysis::StudyRow;
using analysis::StudyTable;
using analysis::summarize_session;

// Two configs as a sweep records them: "host" unrestricted with 2 threads on
// a 4-CPU host, "quota1-t8" with a 1-CPU quota and 8 threads (oversubscribed).
ResultsDocument study_session() {
  ResultsDocument doc;
  doc.host.hostname = "edge";
  doc.host.cpu_model = "Test CPU";
  doc.host.online_cpus = 4;
  doc.started_at = "2026-01-01T00:00:00Z";
  doc.commands = {{"host", "infer", {"infer"}, false}, {"quota1-t8", "infer", {"infer"}, false}};
  int sequence = 0;
  for (int i = 0; i < 6; ++i) {
    for (int c = 0; c < 2; ++c) {
      RunRecord run;
      run.command = doc.commands[c].name;
      run.command_index = c;
      run.index = i;
      run.sequence = sequence++;
      double scale = c == 0 ? 1.0 : 2.0;
      double ready = 100 * scale + i, loaded = ready + 40 * scale, first = loaded + 10 * scale;
      run.phases = {{"runtime_ready", ready, ready},
                    {"model_loaded", loaded, loaded - ready},
                    {"first_inference", first, first - loaded}};
      run.wall_ms = first + 50;
      run.metrics.push_back(
          {"latency", "ms", {5.0 * scale, 5.5 * scale, 6.0 * scale, 9.0 * scale}});
      run.usage.max_rss_kb = 200 * 1024;
      run.usage.involuntary_switches = c == 0 ? 3 : 400;
      run.info["torch.num_threads"] = c == 0 ? 2 : 8;
      run.info["torch.num_interop_threads"] = 1;
      run.residency = ResidencySnapshot{"cold", 10, 1000, 20, {}};
      run.labels = {{"mode", "script"},
                    {"config", doc.commands[c].name},
                    {"cache", "cold"},
                    {"env.OMP_NUM_THREADS", c == 0 ? "2" : "8"}};
      if (c == 1) {
        run.isolation = "sandbox";
        run.limits = AppliedLimits{1.0, "", int64_t{2} << 30, "", 1, "8", "v2"};
        run.cgroup =
            CgroupStats{150.0, int64_t{100}, int64_t{40}, 300.0, int64_t{300} << 20, int64_t{0}};
      }
      doc.runs.push_back(std::move(run));
    }
  }
  return doc;
}

TEST(StudyTable, OneRowPerConfigWithSetupAndResults) {
  const auto doc = study_session();
  const auto summary = summarize_session(doc);
  const StudyTable table = build_study_table(doc, summary);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.phase_names,
            (std::vector<std::string>{"runtime_ready", "model_loaded", "first_inference"}));

  const StudyRow& host = table.rows[0];
  EXPECT_EQ(host.config, "host");
  EXPECT_EQ(host.isolation, "host");
  EXPECT_EQ(format_limits(host), "-");
  EXPECT_EQ(host.effective_cpus, 4);
  EXPECT_TRUE(host.effective_cpus_from_host);
  EXPECT_EQ(format_threads(host), "2 / 1");
  EXPECT_EQ(host.env, std::vector<std::string>{"OMP_NUM_THREADS=2"});
  EXPECT_EQ(host.parameters, std::vector<std::string>{"mode=script"});
  EXPECT_EQ(format_cache(host), "cold, 2.0 % resident");
  EXPECT_FALSE(host.oversubscribed());
  EXPECT_EQ(format_oversubscription(host), "no");
  ASSERT_TRUE(host.latency);
  EXPECT_EQ(host.latency->n, 24u);  // pooled: 6 runs x 4 values
  EXPECT_DOUBLE_EQ(host.latency->median, 5.75);
  ASSERT_TRUE(host.time_to_first_inference);
  EXPECT_DOUBLE_EQ(host.time_to_first_inference->median, 152.5);
  EXPECT_EQ(format_throttling(host), "-");

  const StudyRow& limited = table.rows[1];
  EXPECT_EQ(limited.isolation, "sandbox");
  EXPECT_EQ(format_limits(limited), "cpus 1, mem 2.00 GiB");
  EXPECT_EQ(limited.effective_cpus, 1);
  EXPECT_FALSE(limited.effective_cpus_from_host);
  EXPECT_TRUE(limited.oversubscribed());
  EXPECT_EQ(format_oversubscription(limited), "YES: 8 threads > 1 CPU");
  EXPECT_EQ(format_throttling(limited), "40 % of periods, 300.0 ms");
  ASSERT_TRUE(limited.peak_rss_kb);
  EXPECT_DOUBLE_EQ(*limited.peak_rss_kb, 200 * 1024);
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
  EXPECT_EQ(results.header[1], "runtime_ready");
  EXPECT_EQ(results.header[4], "to first inference");
  EXPECT_EQ(results.header[5], "wall");
  EXPECT_EQ(results.rows[1].back(), "YES: 8 threads > 1 CPU");
  EXPECT_NE(results.rows[0][1].find(" ["), std::string::npos);  // median [CI]
}

TEST(StudyTable, FallsBackToSessionEnvAndUnknownThreads) {
  ResultsDocument doc;
  doc.options = {{"env", {"FOO=1"}}};
  doc.commands = {{"plain", "true", {"true"}, false}};
  for (int i = 0; i < 3; ++i) {
    RunRecord run;
    run.command = "plain";
    run.index = i;
    run.wall_ms = 10 + i;
    doc.runs.push_back(run);
  }
  const StudyTable table = build_study_table(doc, summarize_session(doc));
  ASSERT_EQ(table.rows.size(), 1u);
  const StudyRow& row = table.rows[0];
  EXPECT_EQ(row.env, std::vector<std::string>{"FOO=1"});
  EXPECT_EQ(format_threads(row), "-");
  EXPECT_EQ(format_oversubscription(row), "-");
  EXPECT_EQ(format_cache(row), "-");
  EXPECT_TRUE(table.phase_names.empty());
  EXPECT_FALSE(row.latency);
  const StudyGrid results = results_grid(table);
  EXPECT_EQ(results.header[1], "wall");
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

// Issue 11: the study report reports every contrast's verdict, the effect it
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
