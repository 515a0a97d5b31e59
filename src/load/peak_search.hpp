#pragma once
// The search for the highest rate that meets an SLO (`coldbench load
// --find-peak`, docs/load.md). The anchor is MLPerf LoadGen's
// FindPeakPerformance: grow the rate exponentially until a step fails, then
// bisect between the last pass and the first failure until the bracket is
// within a relative tolerance. Each step is a fixed-length open-loop session
// judged by load/slo.hpp. An inconclusive step counts as a failure, so the
// peak is always a rate at which the SLO was shown to hold.
//
// Pure state: the CLI runs the steps; this only says which rate comes next.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "load/slo.hpp"

namespace coldbench::load {

struct PeakSearchRule {
  double start_rate = 0;  // requests/s, > 0
  double growth = 2;  // the factor between steps until the first failure (and down, before a pass)
  double tolerance = 0.05;  // stop when first failure / last pass - 1 <= tolerance
  int max_steps = 20;       // stop after this many steps whatever the bracket
  double max_rate = 1e6;    // the rate never grows past this
  double min_rate = 0.01;   // nor shrinks below this
};

class PeakSearch {
 public:
  explicit PeakSearch(PeakSearchRule rule) : rule_(rule), next_(rule.start_rate) {}

  // The next step's rate; none when the search is over (then stop_reason says why).
  std::optional<double> next_rate() const;
  void record(double rate, Verdict verdict);

  int steps() const { return steps_; }
  // The highest rate that passed; none when no step passed.
  std::optional<double> peak() const { return last_pass_; }
  // The lowest rate above the peak that failed (or was inconclusive); none when none did.
  std::optional<double> first_fail() const { return first_fail_; }
  // "bracket within tolerance", "step limit", "rate limit", "no rate passed (...)"; empty while
  // searching.
  const std::string& stop_reason() const { return stop_reason_; }
  const PeakSearchRule& rule() const { return rule_; }

 private:
  PeakSearchRule rule_;
  std::optional<double> next_;
  std::optional<double> last_pass_, first_fail_;
  int steps_ = 0;
  std::string stop_reason_;
};

// The rule in words, for --help, the console and the JSON.
std::string describe_rule(const PeakSearchRule& rule);

nlohmann::json to_json(const PeakSearch& search);

}  // namespace coldbench::load
