#include "core/option_spelling.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace coldbench {
namespace {

using ::testing::ElementsAre;

const std::vector<std::string> kKnown = {"--runs",         "-r", "--warmup",  "-w",
                                         "--command-name", "-n", "--prepare", "-p",
                                         "--shell",        "-S", "--style",   "--sort"};

TEST(OptionSpelling, DistanceCountsEditsAndSwaps) {
  EXPECT_EQ(spelling_distance("--runs", "--runs"), 0u);
  EXPECT_EQ(spelling_distance("--runz", "--runs"), 1u);
  EXPECT_EQ(spelling_distance("--rnus", "--runs"), 1u);  // neighbours swapped
  EXPECT_EQ(spelling_distance("--run", "--runs"), 1u);
  EXPECT_EQ(spelling_distance("", "abc"), 3u);
}

TEST(OptionSpelling, SuggestsTheClosestKnownOption) {
  EXPECT_EQ(closest_option("--runz", kKnown), "--runs");
  EXPECT_EQ(closest_option("--wramup", kKnown), "--warmup");
  EXPECT_EQ(closest_option("--warm", kKnown), "--warmup");            // a long prefix
  EXPECT_EQ(closest_option("--prepare=echo", kKnown), std::nullopt);  // known: no suggestion
  EXPECT_EQ(closest_option("--prepar=echo", kKnown), "--prepare");
  EXPECT_EQ(closest_option("--stlye", kKnown), "--style");
  EXPECT_EQ(closest_option("--zzzzzz", kKnown), std::nullopt);
  EXPECT_EQ(closest_option("-x", kKnown), std::nullopt);  // every short option is one edit away
  EXPECT_EQ(closest_option("-runs", kKnown), "--runs");
}

TEST(OptionSpelling, UnknownOptionsInTheOrderGivenSkippingValuesAndKnownOnes) {
  const std::vector<std::string> words = {"--runz", "5",       "-w",       "1",   "--wramup", "2",
                                          "-5",     "sleep 1", "--runs=3", "-r3", "--bogus"};
  EXPECT_THAT(unknown_options(words, kKnown), ElementsAre("--runz", "--wramup", "--bogus"));
}

TEST(OptionSpelling, MessageNamesEachWithItsSuggestion) {
  EXPECT_EQ(unknown_options_message({"--runz"}, kKnown),
            "unknown option --runz; did you mean --runs?");
  EXPECT_EQ(unknown_options_message({"--runz", "--qqqqqq"}, kKnown),
            "unknown options --runz (did you mean --runs?), --qqqqqq");
}

}  // namespace
}  // namespace coldbench
