#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace coldbench {
namespace {

const std::string R = "\xEF\xBF\xBD";  // U+FFFD

TEST(CoreUtf8, ValidTextIsValid) {
  for (const char* text : {"", "plain ascii", "caf\xc3\xa9", "\xe2\x9c\x93 \xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
                           "\xed\x9f\xbf", "\xee\x80\x80"}) {
    EXPECT_TRUE(is_valid_utf8(text)) << text;
    EXPECT_EQ(replace_invalid_utf8(text), text);
    EXPECT_EQ(escape_invalid_utf8(text), text);
  }
}

TEST(CoreUtf8, IllFormedSequencesAreFoundWhereTheyStart) {
  EXPECT_EQ(first_invalid_utf8("ab\xff"), 2u);
  EXPECT_EQ(first_invalid_utf8("\x80"), 0u);                   // a lone continuation byte
  EXPECT_EQ(first_invalid_utf8("x\xc0\x80"), 1u);              // overlong NUL
  EXPECT_EQ(first_invalid_utf8("\xe0\x80\x80"), 0u);           // overlong
  EXPECT_EQ(first_invalid_utf8("ok\xed\xa0\x80"), 2u);         // a surrogate, U+D800
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0u);       // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("caf\xc3"), 3u);                // cut short at the end
  EXPECT_EQ(first_invalid_utf8("\xf5\x80\x80\x80"), 0u);
}

// Unicode 15, section 3.9, Table 3-8: one U+FFFD per maximal subpart, the
// practice Python's bytes.decode("utf-8", "replace") follows too.
TEST(CoreUtf8, EachMaximalSubpartBecomesOneReplacementCharacter) {
  EXPECT_EQ(replace_invalid_utf8("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64"),
            "a" + R + R + R + "b" + R + "c" + R + R + "d");
  EXPECT_EQ(replace_invalid_utf8("binary \xff\xfe\n"), "binary " + R + R + "\n");
  EXPECT_EQ(replace_invalid_utf8("\xed\xa0\x80"), R + R + R);
  EXPECT_EQ(replace_invalid_utf8("\xe2\x9c"), R);
  EXPECT_EQ(replace_invalid_utf8("\xe2\x9c" "a"), R + "a");
  EXPECT_TRUE(is_valid_utf8(replace_invalid_utf8("\xc0\xaf\xe0\x80\xbf\xf0\x81\x82\x41")));
}

TEST(CoreUtf8, EscapedTextShowsTheBadBytes) {
  EXPECT_EQ(escape_invalid_utf8("ph\xffse"), "ph\\xFFse");
  EXPECT_EQ(escape_invalid_utf8("caf\xc3\xa9 \xe2\x9c"), "caf\xc3\xa9 \\xE2\\x9C");
}

TEST(CoreUtf8, PrefixDoesNotCutACharacter) {
  const std::string text = "ab\xe2\x9c\x93" "cd";  // a, b, U+2713, c, d
  EXPECT_EQ(utf8_prefix(text, 2), "ab");
  EXPECT_EQ(utf8_prefix(text, 3), "ab");
  EXPECT_EQ(utf8_prefix(text, 4), "ab");
  EXPECT_EQ(utf8_prefix(text, 5), "ab\xe2\x9c\x93");
  EXPECT_EQ(utf8_prefix(text, 100), text);
  // Not UTF-8 to begin with: still at most max bytes.
  EXPECT_EQ(utf8_prefix(std::string(10, '\x80'), 4).size(), 1u);
}

}  // namespace
}  // namespace coldbench
