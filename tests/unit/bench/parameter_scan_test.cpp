// hyperfine's -L/-P/-D as coldbench expands them: the values, the names and
// the order of the commands (the command varies fastest, as hyperfine's
// test_build_commands_cross_product pins), and the errors.

#include "bench/parameter_scan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace coldbench::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> texts(const std::vector<ScannedCommand>& commands) {
  std::vector<std::string> out;
  for (const auto& c : commands) out.push_back(c.text);
  return out;
}

std::vector<std::string> names(const std::vector<ScannedCommand>& commands) {
  std::vector<std::string> out;
  for (const auto& c : commands) out.push_back(c.name);
  return out;
}

TEST(ParameterScan, ListSplitsAtCommasWithEscapes) {
  auto list = parameter_list("x", "a,b\\,c,,d\\\\");
  ASSERT_TRUE(list);
  EXPECT_THAT(list->values, ElementsAre("a", "b,c", "", "d\\"));
}

TEST(ParameterScan, IntegerRangeWithAndWithoutStep) {
  auto plain = parameter_range("t", "1", "4", "");
  ASSERT_TRUE(plain);
  EXPECT_THAT(plain->values, ElementsAre("1", "2", "3", "4"));
  auto stepped = parameter_range("t", "0", "10", "3");
  ASSERT_TRUE(stepped);
  EXPECT_THAT(stepped->values, ElementsAre("0", "3", "6", "9"));
}

TEST(ParameterScan, DecimalRangeIsWrittenAsHyperfineWritesIt) {
  auto range = parameter_range("d", "0.3", "0.7", "0.2");
  ASSERT_TRUE(range);
  EXPECT_THAT(range->values, ElementsAre("0.3", "0.5", "0.7"));
  // The first value keeps MIN's decimals; the sums carry the step's.
  auto from_zero = parameter_range("d", "0", "1", "0.5");
  ASSERT_TRUE(from_zero);
  EXPECT_THAT(from_zero->values, ElementsAre("0", "0.5", "1.0"));
  auto negative = parameter_range("d", "-1", "0", "0.5");
  ASSERT_TRUE(negative);
  EXPECT_THAT(negative->values, ElementsAre("-1", "-0.5", "0.0"));
}

TEST(ParameterScan, RangeErrorsSayWhatToChange) {
  auto empty = parameter_range("t", "5", "1", "");
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("empty"));
  auto zero = parameter_range("t", "1", "5", "0");
  ASSERT_FALSE(zero);
  EXPECT_THAT(zero.error().message, HasSubstr("greater than 0"));
  auto decimals = parameter_range("t", "0.1", "0.5", "");
  ASSERT_FALSE(decimals);
  EXPECT_THAT(decimals.error().message, HasSubstr("-D"));
  auto words = parameter_range("t", "one", "5", "");
  ASSERT_FALSE(words);
  EXPECT_THAT(words.error().message, HasSubstr("must be numbers"));
  auto huge = parameter_range("t", "1", "1000000", "");
  ASSERT_FALSE(huge);
  EXPECT_THAT(huge.error().message, HasSubstr("at most 100000"));
}

TEST(ParameterScan, CrossProductInHyperfinesOrder) {
  auto a = parameter_list("par1", "a,b");
  auto b = parameter_list("par2", "z,y");
  auto expanded = expand_parameters({"echo {par1} {par2}", "printf {par1} {par2}"}, {}, {*a, *b});
  ASSERT_TRUE(expanded);
  EXPECT_THAT(texts(*expanded), ElementsAre("echo a z", "printf a z", "echo b z", "printf b z",
                                            "echo a y", "printf a y", "echo b y", "printf b y"));
  EXPECT_EQ(names(*expanded), texts(*expanded));  // unnamed: the command line is the name
  EXPECT_EQ((*expanded)[3].template_index, 1u);
  EXPECT_THAT((*expanded)[3].settings,
              ElementsAre(ParameterSetting{"par1", "b"}, ParameterSetting{"par2", "z"}));
}

TEST(ParameterScan, NamesAreOneTemplateOrOnePerCommand) {
  auto n = parameter_list("n", "1,2");
  auto templated = expand_parameters({"sleep {n}"}, {"nap-{n}"}, {*n});
  ASSERT_TRUE(templated);
  EXPECT_THAT(names(*templated), ElementsAre("nap-1", "nap-2"));
  auto each = expand_parameters({"sleep {n}"}, {"one", "two"}, {*n});
  ASSERT_TRUE(each);
  EXPECT_THAT(names(*each), ElementsAre("one", "two"));
  auto wrong = expand_parameters({"sleep {n}"}, {"a", "b", "c"}, {*n});
  ASSERT_FALSE(wrong);
  EXPECT_THAT(wrong.error().message, HasSubstr("3 command names (-n) for 2 commands"));
}

TEST(ParameterScan, SubstitutionDoesNotReplaceInsideAValue) {
  EXPECT_EQ(substitute_parameters("echo {foo} {bar}", {{"foo", "{bar} baz"}, {"bar", "quux"}}),
            "echo {bar} baz quux");
}

TEST(ParameterScan, CommandWithoutThePlaceholderOrATwiceGivenNameIsAnError) {
  auto n = parameter_list("n", "1,2");
  auto missing = expand_parameters({"sleep 1"}, {}, {*n});
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("does not use the parameter {n}"));
  auto twice = expand_parameters({"sleep {n}"}, {}, {*n, *n});
  ASSERT_FALSE(twice);
  EXPECT_THAT(twice.error().message, HasSubstr("given twice"));
}

}  // namespace
}  // namespace coldbench::bench
