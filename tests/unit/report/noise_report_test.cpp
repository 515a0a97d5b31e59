// The machine-noise findings reach every reporter: the console's warning
// lines, the JSON summary, the study report's notes and the CSV columns.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/formats.hpp"
#include "report/study_report.hpp"
#include "analysis/summary.hpp"
#include "report/summary_json.hpp"

namespace coldbench::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// "busy": 10 runs on 2 CPUs while other processes used 45% of them.
// "drift": 12 runs on a quiet machine whose wall time rises 5 ms per run.
ResultsDocument noisy_session() {
  ResultsDocument doc;
  doc.host.hostname = "edge";
  doc.commands = {{"busy", "sleep 0.5", {"sleep", "0.5"}, false},
                  {"drift", "work", {"work"}, false}};
  int sequence = 0;
  for (int i = 0; i < 12; ++i) {
    for (int c = 0; c < 2; ++c) {
      if (c == 0 && i >= 10) continue;
      RunRecord run;
      run.command = doc.commands[c].name;
      run.command_index = c;
      run.index = i;
      run.sequence = sequence++;
      run.exit_code = 0;
      run.wall_ms = c == 0 ? 500 + (i % 2) : 200 + 5.0 * i;
      run.usage.user_ms = 1;
      MachineNoise m;
      m.cpus = 2;
      m.interval_ms = run.wall_ms;
      m.load_1m_start = c == 0 ? 1.2 : 0.1;
      m.other_cpu_ms = c == 0 ? 0.45 * 2 * run.wall_ms : 0;
      m.other_cpu_fraction = c == 0 ? 0.45 : 0;
      m.steal_fraction = 0;
      m.iowait_fraction = 0;
      run.machine = m;
      doc.runs.push_back(std::move(run));
    }
  }
  return doc;
}

TEST(NoiseReport, ConsoleWarnsUnderTheCommandWithTheEvidence) {
  const auto doc = noisy_session();
  const auto summary = analysis::summarize_session(doc);
  auto text = ConsoleReporter().render(doc, &summary);
  ASSERT_TRUE(text);
  // Each command's section, after the findings that open the summary.
  const std::size_t busy_at = text->find("Command 'busy'");
  const std::string busy_part = text->substr(busy_at, text->find("Command 'drift'") - busy_at);
  const std::string drift_part = text->substr(text->find("Command 'drift'"));
  EXPECT_THAT(
      busy_part,
      HasSubstr("  warning: machine busy: load average 1.20 on 2 CPUs at run start (median over "
                "10 runs; the workload itself accounts for about 0.00); other processes used 45% "
                "of the CPUs during the runs."));
  EXPECT_THAT(busy_part, Not(HasSubstr("run order")));
  EXPECT_THAT(drift_part,
              HasSubstr("  warning: wall time rises with run order (Mann-Kendall p = "));
  EXPECT_THAT(drift_part, HasSubstr("Sen's slope +5 ms/run over 12 runs"));
  EXPECT_THAT(drift_part, Not(HasSubstr("machine busy")));
}

TEST(NoiseReport, JsonSummaryCarriesTheEvidenceAndTheWarnings) {
  const auto doc = noisy_session();
  const auto summary = analysis::summarize_session(doc);
  nlohmann::json j = to_json(summary);
  const auto& busy = j["commands"][0];
  EXPECT_EQ(busy["machine"]["busy"], true);
  EXPECT_DOUBLE_EQ(busy["machine"]["other_cpu_fraction"].get<double>(), 0.45);
  EXPECT_TRUE(busy["machine"]["cpu_freq_mhz_median"].is_null());
  ASSERT_EQ(busy["noise_warnings"].size(), 1u);
  EXPECT_THAT(busy["noise_warnings"][0].get<std::string>(), HasSubstr("machine busy: "));
  const auto& drift = j["commands"][1];
  EXPECT_EQ(drift["machine"]["busy"], false);
  EXPECT_EQ(drift["wall_trend"]["drifted"], true);
  EXPECT_EQ(drift["wall_trend"]["runs"], 12);
  EXPECT_DOUBLE_EQ(drift["wall_trend"]["sen_slope_per_run"].get<double>(), 5.0);
}

TEST(NoiseReport, StudyNotesNameTheConfigAndTheEvidence) {
  const auto doc = noisy_session();
  const auto summary = analysis::summarize_session(doc);
  auto text = StudyReporter(StudyReporter::Style::Text).render(doc, &summary);
  ASSERT_TRUE(text);
  EXPECT_THAT(*text, HasSubstr("'busy': machine busy: load average 1.20 on 2 CPUs"));
  EXPECT_THAT(*text, HasSubstr("'drift': wall time rises with run order"));
}

TEST(NoiseReport, ResultsFromBeforeMachineNoiseRenderWithoutIt) {
  auto doc = noisy_session();
  for (auto& run : doc.runs) {
    run.machine.reset();
    run.wall_ms = 100 + (run.index % 3);
  }
  const auto summary = analysis::summarize_session(doc);
  EXPECT_FALSE(summary.commands[0].machine);
  EXPECT_TRUE(summary.commands[0].noise_warnings().empty());
  nlohmann::json j = to_json(summary);
  EXPECT_TRUE(j["commands"][0]["machine"].is_null());
  auto text = ConsoleReporter().render(doc, &summary);
  ASSERT_TRUE(text);
  EXPECT_THAT(*text, Not(HasSubstr("machine busy")));
}

TEST(NoiseReport, CsvHasTheMachineColumnsEmptyWhenNull) {
  auto doc = noisy_session();
  doc.runs[1].machine.reset();
  const auto summary = analysis::summarize_session(doc);
  auto csv = CsvReporter().render(doc, &summary);
  ASSERT_TRUE(csv);
  const std::string header = csv->substr(0, csv->find('\n'));
  EXPECT_THAT(
      header,
      HasSubstr(",load_1m_start,other_cpu_fraction,steal_fraction,iowait_fraction,cpu_freq_mhz"));
  std::size_t first = csv->find('\n') + 1, second = csv->find('\n', first) + 1;
  const std::string row0 = csv->substr(first, second - first - 1);
  const std::string row1 = csv->substr(second, csv->find('\n', second) - second);
  EXPECT_THAT(row0, HasSubstr(",1.2,0.45,0,0,"));  // cpu_freq_mhz null: empty
  EXPECT_THAT(row1, HasSubstr(",,,,,"));
}

}  // namespace
}  // namespace coldbench::report
