#pragma once
// `coldbench load`'s console summary and its progress line: formatting only,
// from load/load_summary.hpp's numbers.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "load/ab_summary.hpp"
#include "load/load_summary.hpp"
#include "load/peak_search.hpp"
#include "load/slo.hpp"

namespace coldbench::report {

// The summary block: rates, latency and service-time quantiles with their
// intervals, answers by status class, errors by kind.
std::string render_load_summary(const load::LoadSummary& summary, const std::string& mode,
                                bool closed_loop);

// An A/B session's arms and the verdict of B against A.
std::string render_ab_summary(const load::AbSummary& ab);
// `--find-peak`: the search's opening lines (SLO and stopping rule), one line
// per step (rate, achieved rate, each bound's value with its interval, the
// verdict), and the result (the peak with its bracket, or why there is none).
std::string render_peak_header(const load::Slo& slo, const load::PeakSearchRule& rule,
                               const std::string& mode);
std::string render_peak_step(int step, double rate, const load::LoadSummary& summary,
                             const load::SloJudgement& judgement);
std::string render_peak_result(const load::PeakSearch& search, const load::Slo& slo);

// The progress line on stderr: redrawn about once a second on a terminal,
// a plain line every few seconds otherwise (logs, CI), like `run`'s.
class LoadProgress {
 public:
  LoadProgress(std::FILE* out, bool tty) : out_(out), tty_(tty) {}
  void add(const load::RequestRecord& record);
  void tick(int64_t now_ns);
  void finish();
  void reset();  // a new step of a peak search: counts and p99 start again

 private:
  std::FILE* out_;
  bool tty_;
  int64_t started_ns_ = 0, last_ns_ = 0;
  int64_t done_since_last_ = 0, errors_ = 0, done_ = 0;
  std::vector<double> latency_ms_;  // measured, answered
  bool drawn_ = false;
};

}  // namespace coldbench::report
