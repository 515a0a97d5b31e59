#include "report/table.hpp"

#include <gtest/gtest.h>

namespace coldbench::report {
namespace {

TEST(ReportTable, TextPadsColumnsAndRightAlignsNumbers) {
  Table t({"phase", "median", "note"});
  t.add_row({"load", "12.5 ms", "ok"});
  t.add_row({"compute_all", "1.234 s", "slow one"});
  EXPECT_EQ(t.to_text(),
            "  phase        median   note\n"
            "  load         12.5 ms  ok\n"
            "  compute_all  1.234 s  slow one\n");
}

TEST(ReportTable, FirstColumnAndHeaderStayLeftAligned) {
  Table t({"n", "value"});
  t.add_row({"1", "5"});
  t.add_row({"100", "-12"});
  t.add_row({"x", "+3.5"});
  EXPECT_EQ(t.to_text(""),
            "n    value\n"
            "1        5\n"
            "100    -12\n"
            "x     +3.5\n");
}

TEST(ReportTable, TextTrimsTrailingSpaceAndFillsShortRows) {
  Table t({"a", "b", "c"});
  t.add_row({"long cell"});
  t.add_row({"x", "y", ""});
  EXPECT_EQ(t.to_text(">"),
            ">a          b  c\n"
            ">long cell\n"
            ">x          y\n");
}

TEST(ReportTable, WidthCountsCharactersNotBytes) {
  Table t({"unit", "x"});
  t.add_row({"\xc2\xb5s", "1"});  // "µs": 2 characters, 3 bytes
  t.add_row({"ms", "2"});
  EXPECT_EQ(t.to_text(""),
            "unit  x\n"
            "\xc2\xb5s    1\n"
            "ms    2\n");
}

TEST(ReportTable, EmptyMeansNoRows) {
  Table t({"a"});
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.to_text(""), "a\n");
  t.add_row({"x"});
  EXPECT_FALSE(t.empty());
}

TEST(ReportTable, MarkdownAlignsFirstColumnLeftAndTheRestRight) {
  Table t({"Command", "Median"});
  t.add_row({"a", "1.0 ms"});
  EXPECT_EQ(t.to_markdown(),
            "| Command | Median |\n"
            "|:---|---:|\n"
            "| a | 1.0 ms |\n");
}

TEST(ReportTable, MarkdownCellsAreTextAndStrongColumnsAreBold) {
  Table t({"Config", "Ratio [95% CI]", "Verdict"});
  t.add_row({"<b>x</b>", "1.2x [1.1x, 1.3x]", "slower"}, {1, 2});
  t.add_row({"`y`", "", "same"}, {1});
  EXPECT_EQ(t.to_markdown(),
            "| Config | Ratio \\[95% CI\\] | Verdict |\n"
            "|:---|---:|---:|\n"
            "| &lt;b&gt;x&lt;/b&gt; | **1.2x \\[1.1x, 1.3x\\]** | **slower** |\n"
            "| \\`y\\` |  | same |\n");
}

TEST(ReportTable, MarkdownEscapesPipesAndFillsShortRows) {
  Table t({"Cmd|name", "A", "B"});
  t.add_row({"sleep 1 | cat", "x"});
  t.add_row({"a", "b", "c", "extra cell beyond the header"});
  EXPECT_EQ(t.to_markdown(),
            "| Cmd\\|name | A | B |\n"
            "|:---|---:|---:|\n"
            "| sleep 1 \\| cat | x |  |\n"
            "| a | b | c |\n");
}

// Issue 19: the study report's table was ~300 columns wide. Split to the page, each part
// repeating the name column; nothing lost, every line within the width.
TEST(ReportTable, WideTablesAreSplitToThePageRepeatingTheFirstColumn) {
  Table t({"config", "alpha column", "beta column", "gamma column", "delta column"});
  t.add_row({"first", std::string(20, 'a'), std::string(20, 'b'), std::string(20, 'c'), std::string(20, 'd')});
  t.add_row({"second", "1", "2", "3", "4"});
  const std::string whole = t.to_text_within(0);
  EXPECT_EQ(whole, t.to_text());
  const std::string split = t.to_text_within(60);
  std::size_t parts = 0, start = 0;
  while (start < split.size()) {
    std::size_t end = split.find('\n', start);
    const std::string line = split.substr(start, end - start);
    EXPECT_LE(line.size(), 60u) << line;
    if (line.rfind("  config", 0) == 0) ++parts;
    start = end + 1;
  }
  EXPECT_EQ(parts, 2u);
  for (const char* cell : {"aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc", "dddddddddddddddddddd",
                           "gamma column", "delta column"}) {
    EXPECT_NE(split.find(cell), std::string::npos) << cell;
  }
  EXPECT_EQ(t.to_text_within(500), t.to_text());  // fits: unchanged
}

}  // namespace
}  // namespace coldbench::report
