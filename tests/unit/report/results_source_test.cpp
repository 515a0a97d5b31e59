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

}  // namespace
}  // namespace coldbench::report
