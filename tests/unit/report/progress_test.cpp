#include "report/progress.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace coldbench::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What the display wrote to a temporary file.
std::string written(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  for (int c; (c = std::fgetc(file)) != EOF;) text += static_cast<char>(c);
  return text;
}

RunRecord run_of(const std::string& command, int index, bool warmup, double wall_ms,
                 std::string error = "") {
  RunRecord run;
  run.command = command;
  run.index = index;
  run.warmup = warmup;
  run.wall_ms = wall_ms;
  run.error = std::move(error);
  return run;
}

TEST(ReportProgress, PlainOutputHasOneLinePerFinishedRun) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressDisplay display(file, /*tty=*/false);
  CommandSpec a{"a", "a", {"a"}, false};
  display.on_run_start(0, 3, a, true);
  display.on_run_end(0, 3, run_of("a", 0, true, 12.5));
  display.on_run_start(1, 3, a, false);
  display.on_run_end(1, 3, run_of("a", 0, false, 1500));
  display.on_run_start(2, 3, a, false);
  display.on_run_end(2, 3, run_of("a", 1, false, 0.5, "exited with code 2"));
  display.on_finish();
  EXPECT_EQ(written(file),
            "[1/3] a warmup run 0: 12.50 ms ok\n"
            "[2/3] a run 0: 1.500 s ok\n"
            "[3/3] a run 1: 500 us FAILED: exited with code 2\n");
  std::fclose(file);
}

TEST(ReportProgress, AdaptiveSessionsShowTheTotalAsAnUpperBound) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressDisplay display(file, /*tty=*/false);
  display.on_session_start(/*total_is_upper_bound=*/true);
  CommandSpec a{"a", "a", {"a"}, false};
  display.on_run_start(0, 200, a, false);
  display.on_run_end(0, 200, run_of("a", 0, false, 12.5));
  display.on_finish();
  EXPECT_EQ(written(file), "[1/<=200] a run 0: 12.50 ms ok\n");
  std::fclose(file);

  std::FILE* bar = std::tmpfile();
  ASSERT_NE(bar, nullptr);
  ProgressDisplay tty(bar, /*tty=*/true);
  tty.on_session_start(true);
  tty.on_run_start(0, 200, a, false);
  tty.on_run_end(0, 200, run_of("a", 0, false, 12.5));
  EXPECT_THAT(written(bar), HasSubstr("1/<=200  elapsed"));
  EXPECT_THAT(written(bar), HasSubstr("ETA <="));
  std::fclose(bar);
}

TEST(ReportProgress, TerminalOutputRedrawsABarAndClearsIt) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressDisplay display(file, /*tty=*/true);
  CommandSpec a{"model", "model", {"model"}, false};
  display.on_run_start(0, 2, a, true);
  display.on_run_end(0, 2, run_of("model", 0, true, 10));
  display.on_finish();
  std::string text = written(file);
  EXPECT_THAT(text, HasSubstr("\r\033[K[" + std::string(30, '.') + "] 0/2"));
  EXPECT_THAT(text, HasSubstr("model (warmup)"));
  EXPECT_THAT(text, HasSubstr("[###############...............] 1/2"));
  EXPECT_THAT(text, HasSubstr("ETA "));
  EXPECT_THAT(text, Not(HasSubstr("\n")));  // redrawn in place
  EXPECT_EQ(text.substr(text.size() - 4), "\r\033[K");
  std::fclose(file);
}

}  // namespace
}  // namespace coldbench::report
