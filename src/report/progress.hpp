#pragma once
// Progress on stderr: a redrawn bar with ETA on a terminal, one plain line per
// finished run otherwise (logs, CI).

#include <cstdint>
#include <cstdio>

#include "bench/hooks.hpp"

namespace coldbench::report {

class ProgressDisplay : public bench::ProgressListener {
 public:
  // `tty`: draw a bar; otherwise print a line per run.
  ProgressDisplay(std::FILE* out, bool tty) : out_(out), tty_(tty) {}

  void on_session_start(bool total_is_upper_bound) override { upper_bound_ = total_is_upper_bound; }
  void on_run_start(int position, int total, const CommandSpec& command, bool warmup) override;
  void on_run_end(int position, int total, const RunRecord& run) override;
  void on_finish() override;

 private:
  void draw_bar(int done, int total, const std::string& label);

  std::FILE* out_;
  bool tty_;
  int64_t started_ns_ = 0;
  bool drawn_ = false;
  bool upper_bound_ = false;  // --runs auto: "12/<=224", the ETA an upper bound
};

}  // namespace coldbench::report
