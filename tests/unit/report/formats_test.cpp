#include "report/formats.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "core/record_json.hpp"
#include "sample_document.hpp"

namespace coldbench::report {
namespace {

using fixtures::sample_document;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// The sample document and its summary, computed once (the power model is not free).
class ReportFormats : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    document_ = new ResultsDocument(sample_document());
    summary_ = new analysis::SessionSummary(analysis::summarize_session(*document_));
  }
  static void TearDownTestSuite() {
    delete summary_;
    delete document_;
  }
  static std::string render(const Reporter& reporter) {
    auto out = reporter.render(*document_, summary_);
    EXPECT_TRUE(out.has_value()) << reporter.format();
    return out.value_or("");
  }

  static ResultsDocument* document_;
  static analysis::SessionSummary* summary_;
};
ResultsDocument* ReportFormats::document_ = nullptr;
analysis::SessionSummary* ReportFormats::summary_ = nullptr;

// RFC 4180 fields of one CSV line.
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        fields.back() += line[++i];
      else if (c == '"')
        quoted = false;
      else
        fields.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ReportMakeReporter, KnowsEveryFormatByName) {
  for (const char* name : {"console", "json", "csv", "markdown", "hyperfine"}) {
    auto reporter = make_reporter(name);
    ASSERT_NE(reporter, nullptr) << name;
    EXPECT_EQ(reporter->format(), name);
  }
  EXPECT_EQ(make_reporter("xml"), nullptr);
  EXPECT_EQ(make_reporter(""), nullptr);
  EXPECT_EQ(make_reporter("JSON"), nullptr);
}

TEST_F(ReportFormats, JsonIsTheDocumentPlusTheSummary) {
  json j = json::parse(render(JsonReporter()));
  EXPECT_EQ(j["schema"], "coldbench/1");
  EXPECT_EQ(j["runs"].size(), document_->runs.size());
  ASSERT_TRUE(j["summary"].is_object());
  EXPECT_EQ(j["summary"]["commands"].size(), 3u);
  EXPECT_EQ(j["summary"]["comparisons"][0]["candidate"], "slow");
  // A results file can be read back.
  auto back = document_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->runs.size(), document_->runs.size());
}

TEST_F(ReportFormats, JsonWithoutSummaryHasANullSummary) {
  auto out = JsonReporter().render(*document_, nullptr);
  ASSERT_TRUE(out.has_value());
  json j = json::parse(*out);
  EXPECT_TRUE(j.contains("summary"));
  EXPECT_TRUE(j["summary"].is_null());
}

TEST_F(ReportFormats, CsvHasOneRowPerRunAndAColumnPerPhase) {
  auto lines = lines_of(render(CsvReporter()));
  ASSERT_EQ(lines.size(), document_->runs.size() + 1);
  auto header = csv_fields(lines[0]);
  EXPECT_EQ(header[0], "sequence");
  EXPECT_EQ(header[header.size() - 2], "phase.compute_ms");  // first-seen order
  EXPECT_EQ(header.back(), "phase.load_ms");
  for (std::size_t i = 1; i < lines.size(); ++i)
    EXPECT_EQ(csv_fields(lines[i]).size(), header.size()) << lines[i];

  auto column = [&](const std::string& name) {
    return std::find(header.begin(), header.end(), name) - header.begin();
  };
  auto base0 = csv_fields(lines[2]);  // after the warmup
  EXPECT_EQ(base0[column("command")], "base");
  EXPECT_EQ(base0[column("warmup")], "0");
  EXPECT_EQ(base0[column("wall_ms")], "100.000000");
  EXPECT_EQ(base0[column("succeeded")], "1");
  EXPECT_EQ(base0[column("phase.load_ms")], "20.000000");
  auto fast0 = csv_fields(lines[4]);
  EXPECT_EQ(fast0[column("command")], "fast");
  EXPECT_EQ(fast0[column("phase.load_ms")], "");  // no such phase in this run
  auto failed = csv_fields(lines.back());
  EXPECT_EQ(failed[column("succeeded")], "0");
  EXPECT_EQ(failed[column("exit_code")], "1");
  EXPECT_EQ(failed[column("error")], "exited with code 1");
  EXPECT_EQ(failed[column("signal")], "");
}

TEST_F(ReportFormats, CsvQuotesFieldsThatNeedIt) {
  ResultsDocument doc;
  doc.commands = {CommandSpec{"a,b \"quoted\"", "x", {"x"}, false}};
  RunRecord run = fixtures::sample_run(0, "a,b \"quoted\"", 0, 1);
  run.error = "line one\nline two, with comma";
  run.phases = {PhaseRecord{"p,1", 1, 1, PhaseSource::Marker}};
  doc.runs = {run};
  auto out = CsvReporter().render(doc, nullptr);
  ASSERT_TRUE(out.has_value());
  EXPECT_THAT(*out, HasSubstr(R"("a,b ""quoted""")"));
  EXPECT_THAT(*out, HasSubstr("\"line one\nline two, with comma\""));
  EXPECT_THAT(*out, HasSubstr(R"(,"phase.p,1_ms")"));
}

TEST_F(ReportFormats, MarkdownNeedsASummary) {
  EXPECT_FALSE(MarkdownReporter().render(*document_, nullptr).has_value());
  std::string md = render(MarkdownReporter());
  EXPECT_THAT(md, HasSubstr("# coldbench results"));
  EXPECT_THAT(md, HasSubstr("coldbench 0.1.0 on testhost (Test CPU, 8 CPUs)"));
  EXPECT_THAT(md, HasSubstr("| Command | Runs ok/total | Wall median \\[CI\\] (coverage) |"));
  EXPECT_THAT(md, HasSubstr("| base | 6/7 |"));
  EXPECT_THAT(md, HasSubstr("## base\n"));
  EXPECT_THAT(md, HasSubstr("Command: python3 base.py\n"));
  EXPECT_THAT(md, HasSubstr("| Phase | Median \\[CI\\] (coverage) | Min | Max |"));
  EXPECT_THAT(md, HasSubstr("| load | 20.00 ms"));
  EXPECT_THAT(md, HasSubstr("| lat | 12 |"));
  EXPECT_THAT(md, HasSubstr("- failed run 7: exited with code 1"));  // 1-based, as the progress lines
  EXPECT_THAT(md, HasSubstr("## slow vs base\n"));
  EXPECT_THAT(md, HasSubstr("| slower |"));
  EXPECT_THAT(md, HasSubstr("| faster |"));
  // Relative column: the fastest command is 1.00.
  EXPECT_THAT(md, HasSubstr(" | 1.00 |"));
  EXPECT_THAT(md, HasSubstr(" | 3.86 |"));  // slow: 202.5 / 52.5
}

TEST_F(ReportFormats, HyperfineLayoutUsesSecondsAndMeasuredExitCodes) {
  json j = json::parse(render(HyperfineReporter()));
  ASSERT_EQ(j["results"].size(), 3u);
  const json& base = j["results"][0];
  EXPECT_EQ(base["command"], "base");
  // Every measured run, the failed one (5000 ms, exit code 1) included, as hyperfine -i writes it.
  ASSERT_EQ(base["times"].size(), 7u);
  EXPECT_EQ(base["exit_codes"], json::parse("[0,0,0,0,0,0,1]"));  // no warmup
  EXPECT_DOUBLE_EQ(base["times"][0].get<double>(), 0.100);
  EXPECT_DOUBLE_EQ(base["times"][6].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(base["min"].get<double>(), 0.100);
  EXPECT_DOUBLE_EQ(base["max"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(base["median"].get<double>(), 0.103);
  EXPECT_NEAR(base["mean"].get<double>(), (0.615 + 5.0) / 7, 1e-12);
  EXPECT_NEAR(base["user"].get<double>(), (0.615 + 5.0) / 14, 1e-12);
  EXPECT_TRUE(base["stddev"].is_number());
}

// Regression (issue 19): a command that failed every run had "times": [] beside its exit codes,
// which broke hyperfine's own scripts. Times and exit codes stay aligned in every case.
TEST_F(ReportFormats, HyperfineKeepsTimesAndExitCodesAlignedWhenEveryRunFails) {
  ResultsDocument doc = *document_;
  for (auto& run : doc.runs) {
    if (run.command != "fast") continue;
    run.exit_code.reset();
    run.signal = 9;
    run.error = "killed by signal 9";
  }
  RunRecord never_started = fixtures::sample_run(2, "fast", 6, 0);
  never_started.exit_code.reset();
  never_started.error = "could not start";
  doc.runs.push_back(never_started);
  json j = json::parse(*HyperfineReporter().render(doc, nullptr));
  for (const json& result : j["results"]) {
    EXPECT_EQ(result["times"].size(), result["exit_codes"].size()) << result["command"];
  }
  const json& fast = j["results"][2];
  ASSERT_EQ(fast["times"].size(), 6u);           // the run that never started has no time
  EXPECT_TRUE(fast["exit_codes"][0].is_null());  // killed: no exit code
  EXPECT_DOUBLE_EQ(fast["min"].get<double>(), 0.050);
  EXPECT_TRUE(fast["mean"].is_number());
  EXPECT_TRUE(fast["stddev"].is_number());
}

// hyperfine's --export-csv layout: the same header, one row per command, seconds, statistics as in its JSON.
TEST_F(ReportFormats, HyperfineCsvHasHyperfinesColumns) {
  const std::vector<std::string> lines = lines_of(render(HyperfineCsvReporter()));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "command,mean,stddev,median,user,system,min,max");
  const std::vector<std::string> base = csv_fields(lines[1]);
  ASSERT_EQ(base.size(), 8u);
  EXPECT_EQ(base[0], "base");
  EXPECT_NEAR(std::stod(base[1]), (0.615 + 5.0) / 7, 1e-12);
  EXPECT_DOUBLE_EQ(std::stod(base[3]), 0.103);
  EXPECT_DOUBLE_EQ(std::stod(base[6]), 0.100);
  EXPECT_DOUBLE_EQ(std::stod(base[7]), 5.0);
  EXPECT_EQ(csv_fields(lines[3])[0], "fast");
}

// hyperfine's --export-markdown table: "mean ± sd", min, max, relative to the fastest with its ± .
TEST_F(ReportFormats, HyperfineMarkdownIsHyperfinesTable) {
  const std::vector<std::string> lines = lines_of(render(HyperfineMarkdownReporter()));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "| Command | Mean [ms] | Min [ms] | Max [ms] | Relative |");  // the first's mean: 0.80 s
  EXPECT_EQ(lines[1], "|:---|---:|---:|---:|---:|");
  EXPECT_EQ(lines[4], "| `fast` | 52.5 ± 1.9 | 50.0 | 55.0 | 1.00 |");
  EXPECT_EQ(lines[3].rfind("| `slow` | 202.5 ± 1.9 | 200.0 | 205.0 | 3.86 ± 0.", 0), 0u) << lines[3];  // 202.5 / 52.5
}

// hyperfine's -u: the unit fixed for every cell, the header saying it.
TEST_F(ReportFormats, HyperfineMarkdownTakesTheTimeUnit) {
  const std::vector<std::string> lines = lines_of(render(HyperfineMarkdownReporter("s")));
  EXPECT_EQ(lines[0], "| Command | Mean [s] | Min [s] | Max [s] | Relative |");
  EXPECT_EQ(lines[4].rfind("| `fast` | 0.05", 0), 0u)
      << lines[4];  // 52.5 ms in seconds, three decimals
  EXPECT_THAT(lines[4], HasSubstr("| 0.050 | 0.055 | 1.00 |"));
  EXPECT_EQ(lines_of(render(HyperfineMarkdownReporter("µs")))[0],
            "| Command | Mean [µs] | Min [µs] | Max [µs] | Relative |");
}

TEST_F(ReportFormats, ConsoleTakesTheTimeUnit) {
  EXPECT_THAT(render(ConsoleReporter("µs")), HasSubstr("median (µs) [CI] (coverage)"));
}

TEST_F(ReportFormats, ConsoleShowsPhasesMetricsFailuresAndComparisons) {
  EXPECT_FALSE(ConsoleReporter().render(*document_, nullptr).has_value());
  std::string out = render(ConsoleReporter());
  EXPECT_THAT(out, HasSubstr("Command 'base': python3 base.py"));
  EXPECT_THAT(out, HasSubstr("7 measured runs, 6 succeeded, 1 FAILED"));
  EXPECT_THAT(out, HasSubstr("Command 'fast'\n"));  // text equal to the name is not repeated
  EXPECT_THAT(out, HasSubstr("total (wall)"));
  EXPECT_LT(out.find("  load "), out.find("  compute "));
  EXPECT_THAT(out, HasSubstr("lat (ms)"));
  EXPECT_THAT(out, HasSubstr("12 over 6 runs"));
  EXPECT_THAT(out, HasSubstr("max RSS 20.0 MiB"));
  EXPECT_THAT(out, HasSubstr("warning: 2 malformed marker lines ignored"));
  EXPECT_THAT(out, HasSubstr("failed run 7: exited with code 1\n"));  // 1-based, as the progress lines
  // One unit per column, in the header; the closing summary line with the interval and the verdict.
  EXPECT_THAT(out, HasSubstr("median (ms) [CI] (coverage)"));
  EXPECT_THAT(out, HasSubstr("Summary (wall time)\n  'slow' ran "));
  EXPECT_THAT(out, HasSubstr("'fast' ran "));
  EXPECT_THAT(out, HasSubstr("x faster than 'base'"));
  // The last five lines of the output tail, no more.
  EXPECT_THAT(out, HasSubstr("    | l4\n    | l5\n    | l6\n    | l7\n    | l8\n"));
  EXPECT_THAT(out, Not(HasSubstr("| l3")));
  EXPECT_THAT(out, HasSubstr("'slow' vs 'base'"));
  EXPECT_THAT(out, HasSubstr("'fast' vs 'base'"));
  EXPECT_THAT(out, HasSubstr("slower"));
  EXPECT_THAT(out, HasSubstr("faster"));
  EXPECT_THAT(out, Not(HasSubstr("Interrupted")));
}

TEST_F(ReportFormats, ConsoleShowsAShortTailWhole) {
  ResultsDocument doc = *document_;
  doc.runs.back().output_tail = "only line\n";
  analysis::SessionSummary summary = analysis::summarize_session(doc);
  std::string out = *ConsoleReporter().render(doc, &summary);
  EXPECT_THAT(out, HasSubstr("exited with code 1\n    | only line\n"));
}

TEST_F(ReportFormats, ConsoleSaysWhenInterruptedOrTooFewRunsToCompare) {
  ResultsDocument doc = *document_;
  doc.interrupted = true;
  std::erase_if(doc.runs, [](const RunRecord& r) { return r.command == "fast" && r.index > 0; });
  analysis::SessionSummary summary = analysis::summarize_session(doc);
  std::string out = *ConsoleReporter().render(doc, &summary);
  EXPECT_THAT(out, HasSubstr("Interrupted: the summary covers the runs finished before Ctrl-C."));
  EXPECT_THAT(out, HasSubstr("'fast' vs 'base'"));
  EXPECT_THAT(out, HasSubstr("(not enough successful runs to compare)"));
}

}  // namespace
}  // namespace coldbench::report
