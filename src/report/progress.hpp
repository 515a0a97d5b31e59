#pragma once
// Progress on stderr: on a terminal, a bar redrawn in place that also ticks
// while a run is in progress (the run's own elapsed time, the ETA from the
// runs so far); otherwise one plain line per finished run (logs, CI).

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "bench/hooks.hpp"

namespace coldbench::report {

class ProgressDisplay : public bench::ProgressListener {
 public:
  // `tty`: draw a bar; otherwise print a line per run. `tick_ms`: how often the
  // bar is redrawn during a run (tty only; 0: only at run start and end).
  ProgressDisplay(std::FILE* out, bool tty, int tick_ms = 500)
      : out_(out), tty_(tty), tick_ms_(tick_ms) {}
  ~ProgressDisplay() override;
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  void on_session_start(bool total_is_upper_bound) override { upper_bound_ = total_is_upper_bound; }
  void on_run_start(int position, int total, const CommandSpec& command, bool warmup) override;
  void on_run_end(int position, int total, const RunRecord& run) override;
  void on_finish() override;

 private:
  void draw_locked();
  void tick();
  void stop_ticker();

  std::FILE* out_;
  bool tty_;
  int tick_ms_;
  bool upper_bound_ = false;  // --runs auto: "12/<=224", the ETA an upper bound

  std::mutex mutex_;  // the state below, shared with the ticker thread
  std::condition_variable wake_;
  std::thread ticker_;
  bool stopping_ = false;
  int64_t started_ns_ = 0;
  int done_ = 0, total_ = 0;
  std::string label_;
  bool in_run_ = false;
  int64_t run_started_ns_ = 0;
  int64_t finished_runs_ns_ = 0;  // summed time of the runs that ended, start to end
  bool drawn_ = false;
};

}  // namespace coldbench::report
