#include "report/reporter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "sample_document.hpp"

namespace coldbench::report {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class ReportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cb_report_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all);
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

TEST_F(ReportFiles, WritesAndReplacesAtomically) {
  ASSERT_TRUE(write_file_atomically(path("out.json"), "first").ok());
  EXPECT_EQ(read(path("out.json")), "first");
  ASSERT_TRUE(write_file_atomically(path("out.json"), "second, longer").ok());
  EXPECT_EQ(read(path("out.json")), "second, longer");
  ASSERT_TRUE(write_file_atomically(path("out.json"), "").ok());
  EXPECT_EQ(read(path("out.json")), "");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.json"});  // no .tmp left
}

TEST_F(ReportFiles, MissingOrNonDirectoryParentIsAnError) {
  auto missing = write_file_atomically(path("no/such/dir/out.csv"), "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message,
              HasSubstr("cannot write '" + path("no/such/dir/out.csv") + "'"));
  ASSERT_TRUE(write_file_atomically(path("file"), "x").ok());
  auto not_dir = write_file_atomically(path("file/out.csv"), "x");
  ASSERT_FALSE(not_dir.ok());
  EXPECT_THAT(not_dir.error().message, HasSubstr("Not a directory"));
}

TEST_F(ReportFiles, UnwritableDirectoryIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  auto result = write_file_atomically(path("out.json"), "x");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("Permission denied"));
}

TEST_F(ReportFiles, FailedRenameLeavesNoTempFile) {
  fs::create_directories(dir_ / "taken" / "child");  // rename cannot replace a non-empty directory
  auto result = write_file_atomically(path("taken"), "x");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("cannot write"));
  EXPECT_EQ(entries(), std::vector<std::string>{"taken"});
}

TEST_F(ReportFiles, FileExportWritesAfterEveryRun) {
  ResultsDocument full = fixtures::sample_document();
  SummaryCache summaries;
  FileExport csv(make_reporter("csv"), path("runs.csv"), summaries);
  FileExport md(make_reporter("markdown"), path("summary.md"), summaries);
  EXPECT_EQ(csv.path(), path("runs.csv"));

  ResultsDocument doc = full;
  doc.runs.clear();
  for (std::size_t i = 0; i < 3; ++i) {
    doc.runs.push_back(full.runs[i]);
    ASSERT_TRUE(csv.on_run(doc, doc.runs.back()).ok());
    ASSERT_TRUE(md.on_run(doc, doc.runs.back()).ok());
    std::string text = read(path("runs.csv"));
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(i + 2)) << text;
  }
  // Markdown needs a summary: nothing until the session finishes.
  EXPECT_FALSE(fs::exists(path("summary.md")));
  ASSERT_TRUE(md.on_finish(doc).ok());
  EXPECT_THAT(read(path("summary.md")), HasSubstr("# coldbench results"));
  ASSERT_TRUE(csv.on_finish(doc).ok());
  EXPECT_EQ(entries(), (std::vector<std::string>{"runs.csv", "summary.md"}));
}

// After every run the file is exactly what a full render would write, yet
// only the first write (and one per layout change) replaces the file: the
// others append the run in place, so the harness's work between runs does not
// grow with the number of runs. A hard link made after each write tells the
// two apart: an append changes the linked file too, a replacement does not.
TEST_F(ReportFiles, FileExportAppendsRunsInPlaceUntilTheLayoutChanges) {
  ResultsDocument full = fixtures::sample_document();
  ASSERT_GE(full.runs.size(), 4u);
  full.runs[3].phases.push_back(PhaseRecord{"late_phase", 9.0, 1.0, PhaseSource::Marker});
  SummaryCache summaries;
  auto json_reporter = make_reporter("json");
  auto csv_reporter = make_reporter("csv");
  FileExport json(make_reporter("json"), path("out.json"), summaries);
  FileExport csv(make_reporter("csv"), path("out.csv"), summaries);
  auto relink = [&](const std::string& name) {
    fs::remove(path(name + ".link"));
    fs::create_hard_link(path(name), path(name + ".link"));
  };
  auto appended = [&](const std::string& name) {
    return read(path(name)) == read(path(name + ".link"));
  };

  ResultsDocument doc = full;
  doc.runs.clear();
  std::optional<AppendLayout> csv_layout;
  int csv_rewrites = 0;
  for (std::size_t i = 0; i < full.runs.size(); ++i) {
    doc.runs.push_back(full.runs[i]);
    auto layout = csv_reporter->append_layout(doc);
    ASSERT_TRUE(layout);
    const bool csv_layout_changed = csv_layout && *layout != *csv_layout;
    csv_layout = layout;
    ASSERT_TRUE(json.on_run(doc, doc.runs.back()).ok());
    ASSERT_TRUE(csv.on_run(doc, doc.runs.back()).ok());
    std::string json_text = read(path("out.json"));
    EXPECT_EQ(json_text, *json_reporter->render(doc, nullptr)) << "after run " << i;
    auto parsed = nlohmann::json::parse(json_text);
    EXPECT_EQ(parsed["runs"].size(), i + 1);
    EXPECT_EQ(parsed["summary"], nullptr);
    EXPECT_EQ(read(path("out.csv")), *csv_reporter->render(doc, nullptr)) << "after run " << i;
    if (i > 0) {
      EXPECT_TRUE(appended("out.json")) << "run " << i << " rewrote the JSON file";
      EXPECT_EQ(appended("out.csv"), !csv_layout_changed) << "run " << i;
      csv_rewrites += csv_layout_changed;
    }
    relink("out.json");
    relink("out.csv");
  }
  EXPECT_GE(csv_rewrites, 1) << "the late phase adds a CSV column";
  EXPECT_THAT(read(path("out.csv")), HasSubstr("phase.late_phase_ms"));
  // The end: the whole document, pretty, with its summary.
  ASSERT_TRUE(json.on_finish(doc).ok());
  auto final_json = nlohmann::json::parse(read(path("out.json")));
  EXPECT_EQ(final_json["runs"].size(), full.runs.size());
  EXPECT_TRUE(final_json["summary"].is_object());
  fs::remove(path("out.json.link"));
  fs::remove(path("out.csv.link"));
  EXPECT_EQ(entries(), (std::vector<std::string>{"out.csv", "out.json"}));
}

TEST_F(ReportFiles, FileExportReportsWriteErrors) {
  SummaryCache summaries;
  FileExport json(make_reporter("json"), path("missing/out.json"), summaries);
  ResultsDocument doc = fixtures::sample_document();
  auto result = json.on_run(doc, doc.runs.back());
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("missing/out.json"));
  EXPECT_FALSE(json.on_finish(doc).ok());
}

TEST(ReportSummaryCache, RecomputesOnlyWhenRunsWereAdded) {
  ResultsDocument doc = fixtures::sample_document();
  SummaryCache cache;
  const analysis::SessionSummary& first = cache.get(doc);
  EXPECT_EQ(first.commands[0].measured_runs, 7);
  const analysis::SessionSummary* address = &first;
  EXPECT_EQ(&cache.get(doc), address);
  EXPECT_EQ(cache.get(doc).commands[0].measured_runs, 7);
  doc.runs.pop_back();
  EXPECT_EQ(cache.get(doc).commands[0].measured_runs, 6);
}

}  // namespace
}  // namespace coldbench::report
