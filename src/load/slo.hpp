#pragma once
// A latency objective for `coldbench load --find-peak --slo` and its verdict
// on one step's requests (docs/load.md, "Peak rate under an SLO").
//
// `p99=50ms,p50=10ms,errors=1%`: quantile bounds on latency (from the
// intended send time) and an optional bound on the failed fraction. A request
// that did not get a 2xx answer counts as infinitely slow in the quantiles, so
// a server that sheds load with fast 503s or timeouts cannot pass by refusing.
//
// Each bound is judged with its 95% interval: pass when the whole interval
// meets it, fail when the whole interval misses it, inconclusive otherwise
// (or when the step has too few requests for an interval).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "load/request_record.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::load {

struct SloBound {
  std::string name;         // "p99", "p99.9", "errors"
  bool error_rate = false;  // else a latency quantile
  double p = 0;             // quantile in (0, 1)
  double limit_ms = 0;      // the quantile's bound
  double max_fraction = 0;  // errors: the failed fraction's bound, in (0, 1)
};

struct Slo {
  std::vector<SloBound> bounds;
  std::string text;
};

// Comma-separated NAME=LIMIT: pNN=DURATION (p50, p90, p99, p99.9, any p in
// (0, 100)) or errors=PERCENT (1% or 0.01). Errors name the bad part and the fix.
Expected<Slo> parse_slo(std::string_view text);

// The fewest measured requests with which every quantile bound can have its
// 95% interval (p99: 299).
int64_t min_requests_for(const Slo& slo);

enum class Verdict { Pass, Fail, Inconclusive };
const char* verdict_name(Verdict verdict);

struct BoundJudgement {
  SloBound bound;
  double value =
      stats::kNaN;  // the quantile in ms (inf: failed requests reach it), or the fraction
  double low = stats::kNaN, high = stats::kNaN;  // its 95% interval (may be inf); NaN when none
  int64_t n_needed = 0;                          // no interval: the requests it needs
  Verdict verdict = Verdict::Inconclusive;
};

struct SloJudgement {
  std::vector<BoundJudgement> bounds;
  int64_t requests = 0, failed = 0;         // measured; failed: anything but a 2xx answer
  Verdict verdict = Verdict::Inconclusive;  // fail if any fails, pass if all pass
};

SloJudgement judge_slo(const Slo& slo, std::span<const RequestRecord> records);

nlohmann::json to_json(const SloJudgement& judgement);

}  // namespace coldbench::load
