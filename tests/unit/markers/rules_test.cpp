#include "markers/rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace coldbench::markers {
namespace {

using ::testing::HasSubstr;

TEST(MarkersRules, PhaseRule) {
  auto rule = parse_rule(RuleKind::Phase, "model_loaded=Model Loaded");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule->kind, RuleKind::Phase);
  EXPECT_EQ(rule->name, "model_loaded");
  EXPECT_EQ(rule->pattern, "Model Loaded");
  EXPECT_TRUE(rule->matches("INFO: Model Loaded in 3s"));
  EXPECT_FALSE(rule->matches("model loaded"));
}

TEST(MarkersRules, OnlyTheFirstEqualsSignSplits) {
  auto rule = parse_rule(RuleKind::Phase, "ready=state=(ok|done)");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule->name, "ready");
  EXPECT_EQ(rule->pattern, "state=(ok|done)");
  EXPECT_TRUE(rule->matches("state=done"));
}

TEST(MarkersRules, MetricRuleWithCaptureGroup) {
  auto rule = parse_rule(RuleKind::Metric, "latency=Latency: ([0-9.]+) ms");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule->kind, RuleKind::Metric);
  auto group = rule->first_group("Latency: 12.5 ms");
  ASSERT_TRUE(group.has_value());
  EXPECT_EQ(*group, "12.5");
  EXPECT_FALSE(rule->first_group("Latency: n/a").has_value());
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

TEST(MarkersRules, CopiesShareTheCompiledRegex) {
  auto rule = parse_rule(RuleKind::Phase, "p=ready");
  ASSERT_TRUE(rule.ok());
  RegexRule copy = *rule;
  EXPECT_EQ(copy.regex, rule->regex);
  EXPECT_TRUE(copy.matches("ready"));
}

TEST(MarkersRules, GroupThatTookNoPartIsEmpty) {
  auto rule = parse_rule(RuleKind::Metric, "m=x(y)?z");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  auto group = rule->first_group("xz");
  ASSERT_TRUE(group.has_value());
  EXPECT_EQ(*group, "");
}

// Found in review: with std::regex, (a+)+$ on a long line backtracked for
// ever (past --timeout, deaf to SIGINT) and a.*b on a 40,000-character line
// overflowed the stack (recursion per character). RE2 matches in linear time
// without recursion; a regression would hang or crash this test.
TEST(MarkersRules, PathologicalPatternsMatchA64KiBLine) {
  const std::string as(64 * 1024, 'a');
  const std::string as_then_c = std::string(64 * 1024 - 1, 'a') + "c";
  struct Case {
    RuleKind kind;
    const char* spec;
    const std::string& line;
    bool matches;
  };
  const Case cases[] = {
      {RuleKind::Phase, "p=(a+)+$", as, true},           {RuleKind::Phase, "p=(a+)+b$", as, false},
      {RuleKind::Phase, "p=a.*b", as, false},            {RuleKind::Phase, "p=^a+b$", as, false},
      {RuleKind::Phase, "p=(a|b)*c", as_then_c, true},   {RuleKind::Phase, "p=(a|b)*c", as, false},
      {RuleKind::Metric, "x=(.*)", as, true},            {RuleKind::Metric, "x=((a|aa)+)$", as, true},
  };
  for (const auto& c : cases) {
    auto rule = parse_rule(c.kind, c.spec);
    ASSERT_TRUE(rule.ok()) << c.spec << ": " << rule.error().message;
    EXPECT_EQ(rule->matches(c.line), c.matches) << c.spec;
    if (c.kind == RuleKind::Metric) {
      auto group = rule->first_group(c.line);
      ASSERT_TRUE(group.has_value()) << c.spec;
      EXPECT_EQ(group->size(), c.line.size()) << c.spec;
    }
  }
}

TEST(MarkersRules, OutputThatIsNotUtf8IsMatchedWithoutError) {
  auto rule = parse_rule(RuleKind::Metric, "lat=lat: ([0-9]+)");
  ASSERT_TRUE(rule.ok());
  auto group = rule->first_group("\xff\xfe lat: 12 \xc3");
  ASSERT_TRUE(group.has_value());
  EXPECT_EQ(*group, "12");
}

TEST(MarkersRules, PatternRe2RejectsNamesRe2AndTheRule) {
  // ECMAScript had backreferences and lookaround; RE2 does not, and says so.
  for (const char* spec : {"p=(a)\\1", "p=a(?=b)", "p=(?<!x)y"}) {
    auto rule = parse_rule(RuleKind::Phase, spec);
    ASSERT_FALSE(rule.ok()) << spec;
    EXPECT_THAT(rule.error().message, HasSubstr("--phase p: invalid regular expression")) << spec;
    EXPECT_THAT(rule.error().message, HasSubstr("RE2 syntax")) << spec;
    EXPECT_THAT(rule.error().message, HasSubstr("no backreferences or lookaround")) << spec;
  }
}

TEST(MarkersRules, NameThatIsNotUtf8IsRejected) {
  auto phase = parse_rule(RuleKind::Phase, "ph\xffse=ready");
  ASSERT_FALSE(phase.ok());
  EXPECT_EQ(phase.error().exit_code, kExitUsage);
  EXPECT_THAT(phase.error().message, HasSubstr("--phase 'ph\\xFFse': the name is not valid UTF-8"));
  auto metric = parse_rule(RuleKind::Metric, "\xc3=([0-9]+)");
  ASSERT_FALSE(metric.ok());
  EXPECT_THAT(metric.error().message, HasSubstr("--metric '\\xC3': the name is not valid UTF-8"));
  EXPECT_TRUE(parse_rule(RuleKind::Phase, "caf\xc3\xa9=ready").ok());  // UTF-8 is fine
}

TEST(MarkersRules, NameFollowsTheMarkerNameRules) {
  auto control = parse_rule(RuleKind::Phase, "a\tb=ready");
  ASSERT_FALSE(control.ok());
  EXPECT_THAT(control.error().message, HasSubstr("contains a control character"));
  auto long_name = parse_rule(RuleKind::Phase, std::string(201, 'n') + "=ready");
  ASSERT_FALSE(long_name.ok());
  EXPECT_THAT(long_name.error().message, HasSubstr("longer than 200 bytes"));
}

TEST(MarkersRules, PatternThatIsNotUtf8IsAnErrorShownEscaped) {
  auto rule = parse_rule(RuleKind::Phase, "p=\xff");
  ASSERT_FALSE(rule.ok());
  EXPECT_THAT(rule.error().message, HasSubstr("invalid regular expression '\\xFF'"));
}

}  // namespace
}  // namespace coldbench::markers
