#include "report/findings_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coldbench::report {
namespace {

analysis::Finding finding(std::string id, analysis::FindingVerdict verdict, std::string sentence) {
  analysis::Finding f;
  f.id = std::move(id);
  f.subject = "cfg";
  f.verdict = verdict;
  f.sentence = std::move(sentence);
  return f;
}

TEST(FindingsText, ConsoleShowsTheFirstFewAndSaysWhereTheRestAre) {
  std::vector<analysis::Finding> all;
  for (int k = 0; k < 7; ++k) all.push_back(finding("drift", analysis::FindingVerdict::Shown, "s" + std::to_string(k)));
  const std::string text = findings_text(all, 5);
  EXPECT_EQ(text.rfind("What we found (5 of 7; all in the JSON summary's \"findings\")\n", 0), 0u) << text;
  EXPECT_NE(text.find("  5. [shown] s4\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("s5"), std::string::npos) << text;
  EXPECT_EQ(findings_text({}), "");
}

TEST(FindingsText, InconclusiveIsTaggedAndRecommendationFollows) {
  auto f = finding("contrast", analysis::FindingVerdict::Inconclusive, "not resolved");
  f.recommendation = "more runs";
  const std::string text = findings_text({f});
  EXPECT_NE(text.find("1. [inconclusive] not resolved\n     recommendation: more runs\n"), std::string::npos) << text;
}

TEST(FindingsText, MarkdownAndHtmlEscapeConfigNames) {
  auto f = finding("contrast", analysis::FindingVerdict::Shown, "'a|<b>' is slower");
  EXPECT_EQ(findings_markdown({f}).find("a|<b>"), std::string::npos);
  const std::string html = findings_html({f});
  EXPECT_NE(html.find("&lt;b&gt;"), std::string::npos) << html;
  EXPECT_NE(html.find("<li data-finding=\"contrast\"><b>shown</b>"), std::string::npos) << html;
}

TEST(FindingsJson, EveryFieldOfTheSchema) {
  auto f = finding("cold_penalty", analysis::FindingVerdict::Inconclusive, "x");
  f.baseline = "warm";
  f.n_baseline = 3;
  f.candidate = "cold";
  f.n_candidate = 3;
  f.effect = 1.2;
  f.runs_needed = 9;
  f.evidence = {{"median warm", 10, "ms"}};
  const nlohmann::json j = findings_json({f}).at(0);
  for (const char* key : {"id", "subject", "verdict", "sentence", "effect", "baseline", "candidate", "test",
                          "runs_needed", "evidence", "recommendation"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["verdict"], "inconclusive");
  EXPECT_EQ(j["runs_needed"], 9);
  EXPECT_EQ(j["baseline"]["n"], 3);
  EXPECT_TRUE(j["recommendation"].is_null());
  EXPECT_TRUE(j["effect"]["interval"]["low"].is_null());  // no interval: null, never 0
  EXPECT_EQ(j["evidence"][0]["unit"], "ms");
}

}  // namespace
}  // namespace coldbench::report
