#include "report/results_source.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/record_json.hpp"
#include "sample_document.hpp"

namespace coldbench::report {
namespace {

using ::testing::HasSubstr;

TEST(ReportResultsSource, ResultsTextRoundTripsTheDocument) {
  const ResultsDocument original = fixtures::sample_document();
  auto back = parse_results_text(to_json(original).dump(), "saved.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->commands.size(), original.commands.size());
  EXPECT_EQ(back->runs.size(), original.runs.size());
}

TEST(ReportResultsSource, TextThatIsNotJsonNamesTheSourceAndTheByte) {
  auto result = parse_results_text("{\"schema\": \"coldbench/1\",", "half.json");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("'half.json' is not JSON (byte"));
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
    EXPECT_THAT(result.error().message, HasSubstr("'huge.json' is not a coldbench results file"));
    EXPECT_THAT(result.error().message, HasSubstr("number overflow"));
    EXPECT_EQ(result.error().exit_code, kExitUsage);
  }
}

TEST(ReportResultsSource, FileErrorsNameThePath) {
  const std::string path = ::testing::TempDir() + "results_source_test_huge.json";
  std::ofstream(path) << R"({"schema":"coldbench/1","runs":[{"wall_ms":1e400}]})";
  auto result = load_results_file(path);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("'" + path + "' is not a coldbench results file"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace coldbench::report
