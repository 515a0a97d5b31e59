#include "core/shell_words.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coldbench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Words = std::vector<std::string>;

Words split(std::string_view text) {
  auto words = split_shell_words(text);
  EXPECT_TRUE(words.ok()) << text << ": " << (words.ok() ? "" : words.error().message);
  return words.ok() ? *words : Words{};
}

TEST(CoreShellWords, SplitsOnAnyRunOfBlanks) {
  EXPECT_THAT(split("a b  c"), ElementsAre("a", "b", "c"));
  EXPECT_THAT(split("  lead\ttab\nnewline  "), ElementsAre("lead", "tab", "newline"));
}

TEST(CoreShellWords, EmptyAndBlankTextGiveNoWords) {
  EXPECT_THAT(split(""), IsEmpty());
  EXPECT_THAT(split(" \t\n "), IsEmpty());
}

TEST(CoreShellWords, SingleQuotesKeepEverythingLiteral) {
  EXPECT_THAT(split("'a b'"), ElementsAre("a b"));
  EXPECT_THAT(split(R"('a\b "c" $HOME')"), ElementsAre(R"(a\b "c" $HOME)"));
}

TEST(CoreShellWords, DoubleQuotesUnescapeOnlyTheShellSpecials) {
  EXPECT_THAT(split(R"("a \"b\"")"), ElementsAre(R"(a "b")"));
  EXPECT_THAT(split(R"("\\ \$ \`")"), ElementsAre(R"(\ $ `)"));
  // Like sh: any other backslash inside double quotes stays.
  EXPECT_THAT(split(R"("a\nb")"), ElementsAre(R"(a\nb)"));
  EXPECT_THAT(split(R"("it's")"), ElementsAre("it's"));
}

TEST(CoreShellWords, BackslashOutsideQuotesEscapesTheNextCharacter) {
  EXPECT_THAT(split(R"(a\ b c)"), ElementsAre("a b", "c"));
  EXPECT_THAT(split(R"(\'x\")"), ElementsAre(R"('x")"));
  EXPECT_THAT(split(R"(\\)"), ElementsAre(R"(\)"));
}

TEST(CoreShellWords, AdjacentQuotedPartsFormOneWord) {
  EXPECT_THAT(split(R"(a'b c'"d e"f)"), ElementsAre("ab cd ef"));
  EXPECT_THAT(split(R"(--arg="a b")"), ElementsAre("--arg=a b"));
}

TEST(CoreShellWords, EmptyQuotesAreAnEmptyWord) {
  EXPECT_THAT(split("''"), ElementsAre(""));
  EXPECT_THAT(split(R"(a "" b)"), ElementsAre("a", "", "b"));
}

TEST(CoreShellWords, NoExpansionHappens) {
  EXPECT_THAT(split("echo $HOME *.txt ~ `id`"), ElementsAre("echo", "$HOME", "*.txt", "~", "`id`"));
}

TEST(CoreShellWords, UnterminatedQuotesAreErrorsNamingTheQuote) {
  auto single = split_shell_words("python3 -c 'print(1)");
  ASSERT_FALSE(single.ok());
  EXPECT_THAT(single.error().message, HasSubstr("unterminated single quote"));
  EXPECT_THAT(single.error().message, HasSubstr("python3 -c 'print(1)"));

  auto dbl = split_shell_words(R"(echo "abc)");
  ASSERT_FALSE(dbl.ok());
  EXPECT_THAT(dbl.error().message, HasSubstr("unterminated double quote"));

  // An escaped closing quote does not close it.
  EXPECT_FALSE(split_shell_words(R"("abc\")").ok());
}

TEST(CoreShellWords, TrailingBackslashIsAnError) {
  auto words = split_shell_words(R"(echo a\)");
  ASSERT_FALSE(words.ok());
  EXPECT_THAT(words.error().message, HasSubstr("lone backslash"));
}

TEST(CoreShellWords, QuoteLeavesPlainWordsAlone) {
  EXPECT_EQ(quote_shell_word("plain"), "plain");
  EXPECT_EQ(quote_shell_word("--flag=1,2"), "--flag=1,2");
  EXPECT_EQ(quote_shell_word("/usr/bin/python3"), "/usr/bin/python3");
}

TEST(CoreShellWords, QuoteWrapsSpecialWords) {
  EXPECT_EQ(quote_shell_word(""), "''");
  EXPECT_EQ(quote_shell_word("a b"), "'a b'");
  EXPECT_EQ(quote_shell_word("it's"), R"('it'\''s')");
}

TEST(CoreShellWords, QuoteThenSplitGivesEveryWordBack) {
  const Words words = {"",           "plain",       "a b",        "it's",  "'",    "''",
                       "\"",         "\\",          "a\\\"b",     "$HOME", "`id`", "tab\there",
                       "new\nline",  "*",           "[x]",        "a;b",   "x|y",  "&",
                       "~user",      "!bang",       "{a,b}",      "(sub)", "<in>", "#hash",
                       "trailing\\", "caf\xc3\xa9", "a'b\"c\\d$e"};
  std::string line;
  for (const auto& w : words) line += quote_shell_word(w) + " ";
  auto back = split_shell_words(line);
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << line;
  EXPECT_EQ(*back, words) << line;

  for (const auto& w : words) {
    auto one = split_shell_words(quote_shell_word(w));
    ASSERT_TRUE(one.ok()) << w;
    EXPECT_THAT(*one, ElementsAre(w)) << quote_shell_word(w);
  }
}

}  // namespace
}  // namespace coldbench
