#pragma once
// `coldbench load`'s console summary and its progress line: formatting only,
// from load/load_summary.hpp's numbers.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "load/ab_summary.hpp"
#include "load/load_summary.hpp"

namespace coldbench::report {

// The summary block: rates, latency and service-time quantiles with their
// intervals, answers by status class, errors by kind.
std::string render_load_summary(const load::LoadSummary& summary, const std::string& mode,
                                bool closed_loop);

// An A/B session's arms and the verdict of B against A.
std::string render_ab_summary(const load::AbSummary& ab);

// The progress line on stderr: redrawn about once a second on a terminal,
// a plain line every few seconds otherwise (logs, CI), like `run`'s.
class LoadProgress {
 public:
  LoadProgress(std::FILE* out, bool tty) : out_(out), tty_(tty) {}
  void add(const load::RequestRecord& record);
  void tick(int64_t now_ns);
  void finish();

 private:
  std::FILE* out_;
  bool tty_;
  int64_t started_ns_ = 0, last_ns_ = 0;
  int64_t done_since_last_ = 0, errors_ = 0, done_ = 0;
  std::vector<double> latency_ms_;  // measured, answered
  bool drawn_ = false;
};

}  // namespace coldbench::report
