#include "report/results_source.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/json_text.hpp"
#include "core/record_json.hpp"
#include "sample_document.hpp"

namespace coldbench::report {
namespace {

using ::testing::HasSubstr;

class ResultsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("cb_results_" + std::to_string(::getpid()) + ".json"))
                .string();
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void write(const std::string& text) { std::ofstream(path_) << text; }

  std::string path_;
};

// A valid document whose first run has the info value `value` (raw JSON text).
std::string document_with_info(const std::string& value) {
  ResultsDocument doc;
  doc.commands = {CommandSpec{"a", "true", {"true"}, false}};
  RunRecord run;
  run.command = "a";
  run.info["deep"] = 0;
  doc.runs = {run};
  std::string text = json_text(to_json(doc));
  const std::string slot = R"("deep":0)";
  return text.replace(text.find(slot), slot.size(), R"("deep":)" + value);
}

TEST_F(ResultsFile, ReadsAnInfoValueAsDeepAsAMarkerMayCarry) {
  write(document_with_info(std::string(64, '[') + std::string(64, ']')));
  auto doc = load_results_file(path_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_TRUE(doc->runs.at(0).info.at("deep").is_array());
}

// Reading a document copies it, and a copy recursed once per level: a results
// file nested 100,000 deep overflowed the stack of `coldbench report`.
TEST_F(ResultsFile, RefusesNestingDeeperThan128LevelsWithoutCrashing) {
  write(document_with_info(std::string(100'000, '[') + std::string(100'000, ']')));
  auto doc = load_results_file(path_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().exit_code, kExitUsage);
  EXPECT_THAT(doc.error().message, HasSubstr("is not a coldbench results file"));
  EXPECT_THAT(doc.error().message, HasSubstr("nested deeper than 128 levels"));
}

TEST_F(ResultsFile, TextThatIsNotJsonIsAnErrorNamingTheFile) {
  write("{\"schema\": ");
  auto doc = load_results_file(path_);
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(doc.error().message, HasSubstr("'" + path_ + "' is not JSON"));
  EXPECT_THAT(doc.error().message, HasSubstr("parse error at line 1"));
}

TEST(ReportResultsSource, ResultsTextRoundTripsTheDocument) {
  const ResultsDocument original = fixtures::sample_document();
  auto back = parse_results_text(to_json(original).dump(), "saved.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->commands.size(), original.commands.size());
  EXPECT_EQ(back->runs.size(), original.runs.size());
}

TEST(ReportResultsSource, TextThatIsNotJsonNamesTheSource) {
  auto result = parse_results_text("{\"schema\": \"coldbench/1\",", "half.json");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("'half.json' is not JSON"));
  EXPECT_EQ(result.error().exit_code, kExitUsage);
}

// Found by fuzz_results_json (fuzz/crashes/results_json/number-1e400-out-of-range.json):
// nlohmann's parser throws out_of_range, not parse_error, for a number no
// double holds, and `coldbench report` / `compare` aborted on the uncaught exception.
TEST(ReportResultsSource, NumberBeyondDoubleIsAnInputErrorNotAnAbort) {
  for (const char* text : {R"({"schema":"coldbench/1","runs":[{"wall_ms":1e400}]})",
                           R"({"schema":"coldbench/1","options":{"seed":-3e3088}})"}) {
    Expected<ResultsDocument> result = Error{};
    EXPECT_NO_THROW(result = parse_results_text(text, "huge.json")) << text;
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_THAT(result.error().message, HasSubstr("'huge.json' is not JSON"));
    EXPECT_THAT(result.error().message, HasSubstr("number overflow"));
    EXPECT_EQ(result.error().exit_code, kExitUsage);
  }
}

TEST(ReportResultsSource, FileErrorsNameThePath) {
  const std::string path = ::testing::TempDir() + "results_source_test_huge.json";
  std::ofstream(path) << R"({"schema":"coldbench/1","runs":[{"wall_ms":1e400}]})";
  auto result = load_results_file(path);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("'" + path + "' is not JSON"));
  std::remove(path.c_str());
}

TEST(ReportResultsSource, ADeviceIsRefusedNotReadForEver) {
  auto result = load_results_file("/dev/zero");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("'/dev/zero' is not a regular file"));
  EXPECT_EQ(result.error().exit_code, kExitUsage);
}

}  // namespace
}  // namespace coldbench::report
