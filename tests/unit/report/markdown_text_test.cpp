#include "report/markdown_text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "compare/gate.hpp"
#include "compare/gate_report.hpp"
#include "report/formats.hpp"
#include "report/study_report.hpp"
#include "sample_document.hpp"

namespace coldbench::report {
namespace {

TEST(MarkdownText, EscapesHtmlAndMarkdownSyntaxAndFlattensLineBreaks) {
  EXPECT_EQ(markdown_text("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(markdown_text("a & b"), "a &amp; b");
  EXPECT_EQ(markdown_text("&lt;"), "&amp;lt;");  // shown as typed, not decoded
  EXPECT_EQ(markdown_text("a|b"), "a\\|b");
  EXPECT_EQ(markdown_text("`code` *em* _em_ [x](javascript:y) # ~s~ \\"),
            "\\`code\\` \\*em\\* \\_em\\_ \\[x\\](javascript:y) \\# \\~s\\~ \\\\");
  EXPECT_EQ(markdown_text("line1\nline2\r\n\tend\x01"), "line1 line2   end ");
  EXPECT_EQ(markdown_text("resnet18 cold, 2 CPUs: 45.6 ms (p=0.01) ünïcode"),
            "resnet18 cold, 2 CPUs: 45.6 ms (p=0.01) ünïcode");
  EXPECT_EQ(markdown_text(""), "");
}

// Every table row of `markdown` has as many cells as its header row.
void expect_tables_keep_their_columns(const std::string& markdown) {
  auto cells = [](const std::string& line) {
    int count = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++count;
    }
    return count;
  };
  std::istringstream lines(markdown);
  int columns = -1;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '|') {
      columns = -1;
      continue;
    }
    if (columns < 0) columns = cells(line);
    EXPECT_EQ(cells(line), columns) << line;
  }
}

void expect_no_raw_markup(const std::string& markdown) {
  for (const char* raw :
       {"<script", "</script", "<svg", "<img", "[x](javascript", "\n| injected"}) {
    EXPECT_EQ(markdown.find(raw), std::string::npos) << raw << " in:\n" << markdown;
  }
  expect_tables_keep_their_columns(markdown);
}

// Audit item 12: config names, commands, phase names, labels, host facts and
// errors went into the Markdown reports raw (the HTML report escapes them).
ResultsDocument hostile_document() {
  ResultsDocument doc = fixtures::sample_document();
  const std::string name = "<script>alert(1)</script>";
  doc.commands[0].name = name;
  doc.commands[0].text = "<svg onload=alert(1)> | [x](javascript:alert(1))";
  doc.host.hostname = "<img src=x onerror=alert(1)>";
  for (auto& run : doc.runs) {
    if (run.command != "base") continue;
    run.command = name;
    for (auto& phase : run.phases)
      if (phase.name == "load") phase.name = "<svg onload=alert(1)>";
    run.labels["env.EVIL"] = "<script>x</script>|";
    if (!run.error.empty()) run.error = "failed\n| injected | row |<svg onload=alert(1)>";
  }
  return doc;
}

TEST(MarkdownReports, HostileNamesAndCommandsLeaveNoRawTagInTheResultsMarkdown) {
  ResultsDocument doc = hostile_document();
  auto summary = analysis::summarize_session(doc);
  auto markdown = MarkdownReporter().render(doc, &summary);
  ASSERT_TRUE(markdown);
  expect_no_raw_markup(*markdown);
  EXPECT_NE(markdown->find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos)
      << *markdown;
  EXPECT_NE(markdown->find("&lt;svg onload=alert(1)&gt; \\| \\[x\\](javascript:alert(1))"),
            std::string::npos)
      << *markdown;
}

TEST(MarkdownReports, HostileNamesAndLabelsLeaveNoRawTagInTheStudyMarkdown) {
  ResultsDocument doc = hostile_document();
  auto summary = analysis::summarize_session(doc);
  auto markdown = StudyReporter(StudyReporter::Style::Markdown).render(doc, &summary);
  ASSERT_TRUE(markdown);
  expect_no_raw_markup(*markdown);
  EXPECT_NE(markdown->find("EVIL=&lt;script&gt;x&lt;/script&gt;\\|"), std::string::npos)
      << *markdown;
}

TEST(MarkdownReports, HostileNamesAndSourcesLeaveNoRawTagInTheGateComment) {
  ResultsDocument doc = hostile_document();
  auto result = compare::compare_sessions(doc, doc);
  ASSERT_TRUE(result) << result.error().message;
  auto markdown =
      compare::render_gate_markdown(*result, {"<svg onload=alert(1)>.json", "cur`rent`.json"});
  expect_no_raw_markup(markdown);
  EXPECT_NE(markdown.find("cur\\`rent\\`.json"), std::string::npos) << markdown;
}

}  // namespace
}  // namespace coldbench::report
