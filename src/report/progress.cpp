#include "report/progress.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/terminal_text.hpp"
#include "core/units.hpp"

namespace coldbench::report {
namespace {

std::string clock_text(double seconds) {
  int total = static_cast<int>(seconds + 0.5);
  if (total >= 3600) return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

}  // namespace

void ProgressDisplay::draw_bar(int done, int total, const std::string& label) {
  constexpr int kWidth = 30;
  double elapsed = double(monotonic_ns() - started_ns_) / 1e9;
  int filled = total > 0 ? done * kWidth / total : 0;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::string eta = done > 0 ? clock_text(elapsed / done * (total - done)) : "?";
  const char* at_most = upper_bound_ ? "<=" : "";
  fmt::print(out_, "\r\033[K[{}] {}/{}{}  elapsed {}  ETA {}{}  {}", bar, done, at_most, total, clock_text(elapsed),
             at_most, eta, terminal_safe(label));
  std::fflush(out_);
  drawn_ = true;
}

void ProgressDisplay::on_run_start(int position, int total, const CommandSpec& command, bool warmup) {
  if (started_ns_ == 0) started_ns_ = monotonic_ns();
  if (tty_) draw_bar(position, total, fmt::format("{}{}", command.name, warmup ? " (warmup)" : ""));
}

void ProgressDisplay::on_run_end(int position, int total, const RunRecord& run) {
  if (tty_) {
    draw_bar(position + 1, total, run.command);
    return;
  }
  fmt::print(out_, "[{}/{}{}] {} {}run {}: {} {}\n", position + 1, upper_bound_ ? "<=" : "", total,
             terminal_safe(run.command),
             run.warmup ? "warmup " : "", run.index, format_ms(run.wall_ms),
             run.succeeded() ? "ok" : "FAILED: " + terminal_safe(run.error));
  std::fflush(out_);
}

void ProgressDisplay::on_finish() {
  if (tty_ && drawn_) {
    fmt::print(out_, "\r\033[K");
    std::fflush(out_);
  }
  drawn_ = false;
}

}  // namespace coldbench::report
