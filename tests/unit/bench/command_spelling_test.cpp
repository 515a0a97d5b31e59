// The old spellings of `coldbench run` that hyperfine's flags replaced: each
// is refused with the new one named, and the new ones pass.

#include "bench/command_spelling.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace coldbench::bench {
namespace {

using ::testing::HasSubstr;

std::string refusal(const std::vector<std::string>& words) {
  auto checked = check_replaced_run_flags(words);
  if (checked) return "";
  EXPECT_EQ(checked.error().exit_code, kExitUsage);
  return checked.error().message;
}

TEST(ReplacedRunFlags, RunsGivenWithDashNPointToDashR) {
  EXPECT_THAT(refusal({"-n", "5", "--command", "a=true"}), HasSubstr("-r 5 or --runs 5"));
  EXPECT_THAT(refusal({"-n", "auto"}), HasSubstr("-r auto"));
  EXPECT_THAT(refusal({"-n3"}), HasSubstr("--runs 3"));
  EXPECT_EQ(refusal({"-n", "fast", "sleep 0.1"}), "");  // a name
  EXPECT_EQ(refusal({"-r", "5", "--command-name", "7", "sleep 0.1"}),
            "");  // the long spelling names anything
}

TEST(ReplacedRunFlags, NamedCommandWithDashCPointsToCommandAndSaysHowToCleanUp) {
  const std::string message = refusal({"-c", "a=sleep 1"});
  EXPECT_THAT(message, HasSubstr("--cleanup"));
  EXPECT_THAT(message, HasSubstr("--command NAME=CMD"));
  EXPECT_THAT(message, HasSubstr("env X=Y CMD"));
  EXPECT_EQ(refusal({"-c", "rm -f /tmp/x"}), "");  // a cleanup
}

TEST(ReplacedRunFlags, BareShellAsksForAShell) {
  EXPECT_THAT(refusal({"--shell"}), HasSubstr("--shell sh"));
  EXPECT_THAT(refusal({"--shell", "-r", "3"}), HasSubstr("-S"));
  EXPECT_EQ(refusal({"--shell", "bash", "echo"}), "");
}

TEST(ReplacedRunFlags, NamedCommandSyntax) {
  auto split = split_named_command("eager=python3 x.py --a=b");
  ASSERT_TRUE(split);
  EXPECT_EQ(split->first, "eager");
  EXPECT_EQ(split->second, "python3 x.py --a=b");
  EXPECT_FALSE(split_named_command("no name=x"));
  EXPECT_FALSE(split_named_command("=x"));
  EXPECT_FALSE(split_named_command("a="));
}

}  // namespace
}  // namespace coldbench::bench
