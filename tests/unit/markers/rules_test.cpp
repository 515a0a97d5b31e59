#include "markers/rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

namespace coldbench::markers {
namespace {

using ::testing::HasSubstr;

TEST(MarkersRules, PhaseRule) {
  auto rule = parse_rule(RuleKind::Phase, "model_loaded=Model Loaded");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule->kind, RuleKind::Phase);
  EXPECT_EQ(rule->name, "model_loaded");
  EXPECT_EQ(rule->pattern, "Model Loaded");
  EXPECT_TRUE(std::regex_search("INFO: Model Loaded in 3s", rule->regex));
  EXPECT_FALSE(std::regex_search("model loaded", rule->regex));
}

TEST(MarkersRules, OnlyTheFirstEqualsSignSplits) {
  auto rule = parse_rule(RuleKind::Phase, "ready=state=(ok|done)");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule->name, "ready");
  EXPECT_EQ(rule->pattern, "state=(ok|done)");
  EXPECT_TRUE(std::regex_search("state=done", rule->regex));
}

TEST(MarkersRules, MetricRuleWithCaptureGroup) {
  auto rule = parse_rule(RuleKind::Metric, "latency=Latency: ([0-9.]+) ms");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule->kind, RuleKind::Metric);
  std::smatch m;
  std::string line = "Latency: 12.5 ms";
  ASSERT_TRUE(std::regex_search(line, m, rule->regex));
  EXPECT_EQ(m[1].str(), "12.5");
}

TEST(MarkersRules, MissingEqualsIsAnErrorWithAnExample) {
  auto phase = parse_rule(RuleKind::Phase, "model_loaded");
  ASSERT_FALSE(phase.ok());
  EXPECT_THAT(phase.error().message, HasSubstr("--phase 'model_loaded'"));
  EXPECT_THAT(phase.error().message, HasSubstr("expected NAME=REGEX"));
  auto metric = parse_rule(RuleKind::Metric, "");
  ASSERT_FALSE(metric.ok());
  EXPECT_THAT(metric.error().message, HasSubstr("--metric"));
  EXPECT_THAT(metric.error().message, HasSubstr("expected NAME=REGEX"));
}

TEST(MarkersRules, EmptyNameOrRegexIsAnError) {
  for (const char* spec : {"=Loaded", "loaded=", "="}) {
    auto rule = parse_rule(RuleKind::Phase, spec);
    ASSERT_FALSE(rule.ok()) << spec;
    EXPECT_THAT(rule.error().message, HasSubstr("expected NAME=REGEX")) << spec;
  }
}

TEST(MarkersRules, InvalidRegexIsAnErrorNamingTheRule) {
  for (const char* spec : {"x=(", "x=[a-", "x=*a", "x=a)"}) {
    auto rule = parse_rule(RuleKind::Phase, spec);
    ASSERT_FALSE(rule.ok()) << spec;
    EXPECT_THAT(rule.error().message, HasSubstr("--phase x: invalid regular expression")) << spec;
  }
  auto metric = parse_rule(RuleKind::Metric, "lat=(unclosed");
  ASSERT_FALSE(metric.ok());
  EXPECT_THAT(metric.error().message,
              HasSubstr("--metric lat: invalid regular expression '(unclosed'"));
}

TEST(MarkersRules, MetricWithoutCaptureGroupIsAnError) {
  for (const char* spec : {"lat=Latency [0-9]+ ms", "lat=(?:[0-9]+)"}) {
    auto rule = parse_rule(RuleKind::Metric, spec);
    ASSERT_FALSE(rule.ok()) << spec;
    EXPECT_THAT(rule.error().message, HasSubstr("needs a capture group")) << spec;
  }
  // A phase rule may have groups or not.
  EXPECT_TRUE(parse_rule(RuleKind::Phase, "p=done").ok());
  EXPECT_TRUE(parse_rule(RuleKind::Phase, "p=(done)").ok());
}

}  // namespace
}  // namespace coldbench::markers
