#include "report/progress.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

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

// What the display has written so far, read without moving the stream's position (the
// display's ticker thread writes to it meanwhile and flushes after every draw).
std::string snapshot(std::FILE* file) {
  struct stat st {};
  if (fstat(fileno(file), &st) != 0) return "";
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  const ssize_t n = pread(fileno(file), text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
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
            "[1/3] a warmup 1: 12.50 ms ok\n"
            "[2/3] a run 1: 1.500 s ok\n"
            "[3/3] a run 2: 500 µs FAILED: exited with code 2\n");
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
  EXPECT_EQ(written(file), "[1/<=200] a run 1: 12.50 ms ok\n");
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

// Issue 19: during a 40 s run the bar sat at "elapsed 0:00 ETA ?". It is redrawn while the run
// goes on, with the run's own elapsed time. Structure only: at least one redraw happens between
// the start and the end of a run that lasts many ticks, and the line stays one line.
TEST(ReportProgress, TerminalBarTicksDuringARun) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressDisplay display(file, /*tty=*/true, /*tick_ms=*/5);
  CommandSpec a{"model", "model", {"model"}, false};
  display.on_run_start(0, 1, a, false);
  const std::size_t at_start = snapshot(file).size();
  std::string during;
  for (int i = 0; i < 400 && during.size() <= at_start; ++i) {  // up to 4 s on a loaded machine
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    during = snapshot(file);
  }
  display.on_run_end(0, 1, run_of("model", 0, false, 10));
  display.on_finish();
  EXPECT_GT(during.size(), at_start) << "no redraw while the run was in progress";
  EXPECT_THAT(during.substr(at_start), HasSubstr("model: run 0:00"));
  EXPECT_THAT(written(file), Not(HasSubstr("\n")));
  std::fclose(file);
}

}  // namespace
}  // namespace coldbench::report
