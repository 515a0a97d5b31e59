#pragma once
// Findings: what a session's records say, as sentences a reader can check
// against the tables. Each rule (docs/reports.md, "What we found") looks for
// one pattern (a cold penalty per phase, oversubscription, a lazy first call,
// warmup not converged, drift or two modes across runs, a busy machine, memory
// near its limit, an optimization's break-even point) and states its effect size with an interval of known
// coverage, what it compared, the test and the numbers behind it. The
// statistics are stats/'s: contrasts are ratios of medians decided as one
// Holm family under the session's policy, with the runs that would settle an
// inconclusive one. Pure: no I/O.

#include <cstddef>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "stats/comparison.hpp"
#include "stats/descriptive.hpp"
#include "stats/policy.hpp"

namespace coldbench::analysis {

struct SessionSummary;

enum class FindingVerdict {
  Shown,         // the effect is there at the policy's alpha (and past its threshold)
  Equivalent,    // a contrast inside +-threshold, shown by TOST: the one way to say "no difference"
  Inconclusive,  // the data cannot tell; runs_needed says how many would (0: unknown)
};
std::string_view to_string(FindingVerdict verdict);

struct FindingEvidence {
  std::string name;
  double value = stats::kNaN;
  std::string unit;  // "ms", "%", "x", "" for counts
};

struct Finding {
  std::string id;       // the rule, stable: "cold_penalty", "oversubscription", ...
  std::string subject;  // "config" or "config/phase"
  std::string sentence;
  FindingVerdict verdict = FindingVerdict::Inconclusive;
  // The effect: its name ("ratio of medians", "first third / last third", ...),
  // value and interval (with the interval's actual coverage; invalid when there is none).
  std::string effect_name;
  double effect = stats::kNaN;
  stats::Interval effect_ci;
  // What was compared with what: two configs (or two quantities of one), n each.
  std::string baseline, candidate;
  std::size_t n_baseline = 0, n_candidate = 0;
  std::string test;  // "Mann-Whitney U (Holm) / TOST", "Mann-Kendall", "rule", ...
  double p_value = stats::kNaN;
  std::size_t runs_needed = 0;  // inconclusive contrasts: runs per side expected to decide; 0 unknown
  std::vector<FindingEvidence> evidence;
  std::string recommendation;  // only where the data supports one
  double strength = 0;         // for ordering: |log| of the effect where it is a ratio
};

// Thresholds of the rules that are not the comparison policy's; documented in
// docs/reports.md ("What we found").
struct FindingThresholds {
  double lazy_first_factor = 2.0;    // first inference at least this many times the steady latency
  int trend_min_iterations = 8;      // iterations per run for the warmup-trend test
  double trend_alpha = 0.01;         // Mann-Kendall on the iteration profile
  double trend_min_ratio = 1.05;     // first third / last third of the profile
  int bimodal_min_runs = 6;          // runs before two modes can be told apart
  double bimodal_min_share = 0.2;    // the smaller mode holds at least this share of the runs
  double bimodal_gap_mads = 5.0;     // gap between the modes, in the larger within-mode MAD
  double bimodal_min_gap = 0.10;     // and as a fraction of the median
  double memory_near_limit = 0.90;   // cgroup memory peak / memory limit
  double throttled_min_fraction = 0.10;  // throttled CFS periods / all periods
};

inline constexpr FindingThresholds kFindingThresholds{};

// Every rule over the document's records and its summary (whose policy the
// contrasts are decided under), ordered: shown first, then equivalent, then
// inconclusive; within each, larger effects first.
std::vector<Finding> find_findings(const ResultsDocument& document, const SessionSummary& summary,
                                   const FindingThresholds& thresholds = kFindingThresholds);

}  // namespace coldbench::analysis
