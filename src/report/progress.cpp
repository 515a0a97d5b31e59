#include "report/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "core/clock.hpp"
#include "core/terminal_text.hpp"
#include "core/units.hpp"

namespace coldbench::report {
namespace {

std::string clock_text(double seconds) {
  int total = static_cast<int>(seconds + 0.5);
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

}  // namespace

ProgressDisplay::~ProgressDisplay() {
  stop_ticker();
}

void ProgressDisplay::draw_locked() {
  constexpr int kWidth = 30;
  const int64_t now = monotonic_ns();
  const double elapsed = double(now - started_ns_) / 1e9;
  const double in_run = in_run_ ? double(now - run_started_ns_) / 1e9 : 0.0;
  int filled = total_ > 0 ? done_ * kWidth / total_ : 0;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  // From the runs that ended: their mean time for each run left, less what the current one has run.
  std::string eta = "?";
  if (done_ > 0) {
    const double per_run = double(finished_runs_ns_) / 1e9 / done_;
    eta = clock_text(std::max(0.0, per_run * (total_ - done_) - in_run));
  }
  const char* at_most = upper_bound_ ? "<=" : "";
  std::string current = terminal_safe(label_);
  if (in_run_) current += ": run " + clock_text(in_run);
  fmt::print(out_, "\r\033[K[{}] {}/{}{}  elapsed {}  ETA {}{}  {}", bar, done_, at_most, total_,
             clock_text(elapsed), at_most, eta, current);
  std::fflush(out_);
  drawn_ = true;
}

void ProgressDisplay::tick() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(tick_ms_));
    if (!stopping_ && in_run_) draw_locked();
  }
}

void ProgressDisplay::stop_ticker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void ProgressDisplay::on_run_start(int position, int total, const CommandSpec& command,
                                   bool warmup) {
  std::lock_guard lock(mutex_);
  const int64_t now = monotonic_ns();
  if (started_ns_ == 0) started_ns_ = now;
  done_ = position;
  total_ = total;
  label_ = fmt::format("{}{}", command.name, warmup ? " (warmup)" : "");
  in_run_ = true;
  run_started_ns_ = now;
  if (!tty_) return;
  draw_locked();
  // One thread for the session, woken twice a second at most: a run that takes
  // minutes shows that it is alive. Started at the first run, not before.
  if (tick_ms_ > 0 && !ticker_.joinable() && !stopping_) ticker_ = std::thread([this] { tick(); });
}

void ProgressDisplay::on_run_end(int position, int total, const RunRecord& run) {
  std::lock_guard lock(mutex_);
  if (in_run_) finished_runs_ns_ += monotonic_ns() - run_started_ns_;
  in_run_ = false;
  done_ = position + 1;
  total_ = total;
  if (tty_) {
    label_ = run.command;
    draw_locked();
    return;
  }
  // Both counts 1-based: "[3/10] model run 2" is the session's third run, the command's second.
  fmt::print(out_, "[{}/{}{}] {} {} {}: {} {}\n", position + 1, upper_bound_ ? "<=" : "", total,
             terminal_safe(run.command), run.warmup ? "warmup" : "run", run.index + 1,
             format_ms(run.wall_ms),
             run.succeeded() ? "ok" : "FAILED: " + terminal_safe(run.error));
  std::fflush(out_);
}

void ProgressDisplay::on_finish() {
  stop_ticker();
  std::lock_guard lock(mutex_);
  if (tty_ && drawn_) {
    fmt::print(out_, "\r\033[K");
    std::fflush(out_);
  }
  drawn_ = false;
}

}  // namespace coldbench::report
