#include "core/json_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/utf8.hpp"

namespace coldbench {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(CoreJsonText, InvalidUtf8IsReplacedNotThrown) {
  json j{{"tail", "binary \xff\xfe\n"}, {"k\xc3", 1}};
  std::string text;
  ASSERT_NO_THROW(text = json_text(j));
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_EQ(json::parse(text)["tail"], "binary \xEF\xBF\xBD\xEF\xBF\xBD\n");
  EXPECT_NO_THROW(json_text(j, 2));
}

// The safety net and the helper that records use agree, so the same bytes
// read the same whichever of the two turned them into text.
TEST(CoreJsonText, ReplacementMatchesTheUtf8Helper) {
  for (const std::string bytes : {"\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64", "\xed\xa0\x80 \xe2\x9c",
                                  "\xc0\xaf\xe0\x80\xbf\xf0\x81\x82\x41", "ok", "\xff", "\xf4\x90\x80\x80z"}) {
    EXPECT_EQ(json::parse(json_text(json(bytes))).get<std::string>(), replace_invalid_utf8(bytes)) << bytes;
  }
}

TEST(CoreJsonParseBounded, ParsesOneValue) {
  auto j = parse_json_bounded(R"({"a":[1,{"b":null}],"c":"caf\u00e9"})", 3);
  ASSERT_TRUE(j.ok()) << j.error().message;
  EXPECT_EQ((*j)["a"][1]["b"], nullptr);
  EXPECT_EQ((*j)["c"], "caf\xc3\xa9");
  EXPECT_EQ(*parse_json_bounded("42", 0), 42);
}

TEST(CoreJsonParseBounded, RefusesNestingPastTheLimitWithoutRecursion) {
  EXPECT_TRUE(parse_json_bounded("[[[1]]]", 3).ok());
  auto deep = parse_json_bounded("[[[[1]]]]", 3);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().message, "nested deeper than 3 levels");
  // A million levels: stopped at the limit, long before any stack could overflow.
  std::string huge = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  auto stopped = parse_json_bounded(huge, 128);
  ASSERT_FALSE(stopped.ok());
  EXPECT_THAT(stopped.error().message, HasSubstr("nested deeper than 128 levels"));
}

TEST(CoreJsonParseBounded, SyntaxErrorsAreValuesWithPrintableReasons) {
  for (const char* text : {"", "{", "[1,]", "{\"a\":1} {\"b\":2}", "\"\xff\"", "nul"}) {
    auto j = parse_json_bounded(text, 10);
    ASSERT_FALSE(j.ok()) << text;
    EXPECT_THAT(j.error().message, HasSubstr("not valid JSON")) << text;
    EXPECT_TRUE(is_valid_utf8(j.error().message)) << j.error().message;
  }
}

// Every JSON dump in src/ goes through json_text, the one that cannot throw
// (a direct .dump() once aborted the harness on a workload's bytes).
TEST(CoreJsonText, SourcesSerialiseOnlyThroughJsonText) {
  namespace fs = std::filesystem;
  const fs::path src = fs::path(COLDBENCH_SOURCE_DIR) / "src";
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    const auto ext = entry.path().extension();
    if (ext != ".cpp" && ext != ".hpp") continue;
    ++files;
    if (entry.path().filename() == "json_text.hpp") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str().find(".dump("), std::string::npos)
        << entry.path() << " calls .dump(); use json_text() (core/json_text.hpp)";
  }
  EXPECT_GT(files, 50);
}

}  // namespace
}  // namespace coldbench
