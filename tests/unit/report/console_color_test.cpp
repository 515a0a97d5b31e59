#include "report/console_color.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "core/terminal_text.hpp"

namespace coldbench::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ConsoleColor, VerdictsTagsWarningsAndFailuresAreColored) {
  const std::string text =
      "What we found\n"
      "  1. [shown] 'b' is slower than 'a'\n"
      "  2. [inconclusive] 'c' against 'a' is not resolved\n"
      "  warning: machine busy\n"
      "  5 measured runs, 4 succeeded, 1 FAILED\n"
      "  wall             1.338x [1.190x, 1.476x] (96.8%)   0.0238  slower\n"
      "  runtime_ready    0.651x [0.613x, 1.051x] (96.8%)   0.0952  inconclusive: needs ~10 runs/side\n"
      "plain line\n";
  const std::string colored = colorize_summary(text);
  EXPECT_THAT(colored, HasSubstr("\033[1m[shown]\033[0m 'b' is slower"));
  EXPECT_THAT(colored, HasSubstr("\033[33m[inconclusive]\033[0m"));
  EXPECT_THAT(colored, HasSubstr("  \033[33mwarning:\033[0m machine busy"));
  EXPECT_THAT(colored, HasSubstr("\033[31m\033[1mFAILED\033[0m"));
  EXPECT_THAT(colored, HasSubstr("0.0238  \033[31mslower\033[0m\n"));
  EXPECT_THAT(colored, HasSubstr("\033[33minconclusive: needs ~10 runs/side\033[0m\n"));
  EXPECT_THAT(colored, HasSubstr("\nplain line\n"));
  EXPECT_THAT(colored, HasSubstr("\033[1mWhat we found\033[0m"));
}

// Color is added after terminal_safe: a workload's escape bytes stay visible text, never codes.
TEST(ConsoleColor, WorkloadEscapesStayEscapedWhenColored) {
  const std::string colored = colorize_summary(terminal_safe("  failed run 1: \033[2J FAILED\n"));
  EXPECT_THAT(colored, HasSubstr("\\x1b[2J"));
  EXPECT_THAT(colored, Not(HasSubstr("\033[2J")));
}

TEST(ConsoleColor, NoColorAndNonTerminalsGetNone) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  EXPECT_FALSE(color_wanted(file));  // not a terminal
  std::fclose(file);
  setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(color_wanted(stdout));
  unsetenv("NO_COLOR");
}

}  // namespace
}  // namespace coldbench::report
