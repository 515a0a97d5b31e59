#include "report/summary_json.hpp"

#include <gtest/gtest.h>

#include "sample_document.hpp"

namespace coldbench::report {
namespace {

using analysis::summarize_session;
using fixtures::sample_document;

TEST(SummaryJson, JsonHasEveryCommandAndComparison) {
  nlohmann::json j = to_json(summarize_session(sample_document()));
  ASSERT_EQ(j["commands"].size(), 3u);
  EXPECT_EQ(j["commands"][0]["name"], "base");
  EXPECT_EQ(j["commands"][0]["failed_runs"], 1);
  EXPECT_EQ(j["commands"][0]["wall"]["stats"]["n"], 6);
  EXPECT_EQ(j["commands"][0]["phases"][0]["name"], "load");
  EXPECT_TRUE(j["commands"][0]["residency"].is_null());
  EXPECT_EQ(j["comparisons"][0]["quantities"][0]["verdict"], "slower");
  EXPECT_EQ(j["comparisons"][1]["quantities"][0]["verdict"], "faster");
  // NaN never reaches JSON: a command without runs has null statistics.
  ResultsDocument empty = sample_document();
  empty.runs.clear();
  nlohmann::json e = to_json(summarize_session(empty));
  EXPECT_TRUE(e["commands"][0]["wall"]["stats"]["median"].is_null());
  EXPECT_EQ(nlohmann::json::parse(e.dump()), e);
}

}  // namespace
}  // namespace coldbench::report
