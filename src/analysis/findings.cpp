#include "analysis/findings.hpp"

#include <coldbench/marker.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "analysis/findings_rules.hpp"
#include "analysis/run_samples.hpp"
#include "core/units.hpp"

namespace coldbench::analysis {

std::string_view to_string(FindingVerdict verdict) {
  switch (verdict) {
    case FindingVerdict::Shown: return "shown";
    case FindingVerdict::Equivalent: return "equivalent";
    case FindingVerdict::Inconclusive: return "inconclusive";
  }
  return "inconclusive";
}

namespace findings_detail {

std::string ratio_text(double ratio) { return std::isfinite(ratio) ? fmt::format("{:.2f}x", ratio) : "n/a"; }

std::string percent_change(double ratio) { return fmt::format("{:+.0f}%", (ratio - 1) * 100); }

std::string interval_text(const stats::Interval& interval) {
  if (!interval.valid()) return "(no interval at this n)";
  std::string shortfall;
  if (!interval.reached() && interval.n_needed > 0) {
    shortfall = fmt::format("; {} runs reach {:.0f}%", interval.n_needed, 100 * interval.requested_level);
  }
  return fmt::format("[{:.2f}x, {:.2f}x] ({:.1f}% CI{})", interval.low, interval.high, 100 * interval.level, shortfall);
}

}  // namespace findings_detail

namespace {

using namespace findings_detail;

bool is_cold(const std::string& mode) { return mode == "cold" || mode == "drop"; }
bool is_warm(const std::string& mode) { return mode == "warm" || mode == "none"; }

// The same comparison read the other way round (the cold config is always the candidate).
stats::Comparison inverted(stats::Comparison c) {
  std::swap(c.n_baseline, c.n_candidate);
  std::swap(c.median_baseline, c.median_candidate);
  c.ratio = 1 / c.ratio;
  stats::Interval ci = c.ratio_ci;
  c.ratio_ci.low = 1 / ci.high;
  c.ratio_ci.high = 1 / ci.low;
  c.cliffs_delta = -c.cliffs_delta;
  c.cohens_d = -c.cohens_d;
  if (c.verdict == stats::Verdict::Faster) {
    c.verdict = stats::Verdict::Slower;
  } else if (c.verdict == stats::Verdict::Slower) {
    c.verdict = stats::Verdict::Faster;
  }
  return c;
}

FindingVerdict verdict_of(stats::Verdict verdict) {
  switch (verdict) {
    case stats::Verdict::Faster:
    case stats::Verdict::Slower: return FindingVerdict::Shown;
    case stats::Verdict::Equivalent: return FindingVerdict::Equivalent;
    case stats::Verdict::Inconclusive: return FindingVerdict::Inconclusive;
  }
  return FindingVerdict::Inconclusive;
}

// What every contrast finding carries: the ratio of medians with its interval,
// the n of each side, the test and, when undecided, the runs that would decide.
Finding contrast_finding(std::string id, std::string subject, const std::string& baseline,
                         const std::string& candidate, const stats::Comparison& c, const std::string& unit,
                         const stats::ComparisonPolicy& policy) {
  Finding f;
  f.id = std::move(id);
  f.subject = std::move(subject);
  f.verdict = verdict_of(c.verdict);
  f.effect_name = "ratio of medians (candidate / baseline)";
  f.effect = c.ratio;
  f.effect_ci = c.ratio_ci;
  f.baseline = baseline;
  f.candidate = candidate;
  f.n_baseline = c.n_baseline;
  f.n_candidate = c.n_candidate;
  f.test = fmt::format("Mann-Whitney U ({}, family of {}); TOST within +-{:g}%", stats::to_string(policy.correction),
                       c.family, 100 * policy.threshold);
  f.p_value = c.verdict == stats::Verdict::Equivalent ? c.p_equivalence_adjusted : c.p_adjusted;
  f.runs_needed = c.verdict == stats::Verdict::Inconclusive ? c.runs_needed : 0;
  f.evidence = {{"median " + baseline, c.median_baseline, unit},
                {"median " + candidate, c.median_candidate, unit},
                {"Cliff's delta", c.cliffs_delta, ""}};
  f.strength = std::isfinite(c.ratio) && c.ratio > 0 ? std::fabs(std::log(c.ratio)) : 0;
  return f;
}

std::string settle_text(const Finding& f) {
  if (f.runs_needed > 0) return fmt::format("about {} runs each would settle it", f.runs_needed);
  return "how many runs would settle it cannot be estimated at this n";
}

std::string quantity_text(const std::string& quantity) {
  return quantity == "wall" ? "wall time" : "phase '" + quantity + "'";
}

std::string runs_text(const Finding& f) {
  return f.n_baseline == f.n_candidate ? fmt::format("{} runs each", f.n_baseline)
                                       : fmt::format("{} and {} runs", f.n_candidate, f.n_baseline);
}

// (a) Cold vs warm page cache, per phase, from the session's own comparisons
// (so a finding reads the same numbers as the comparisons table).
Finding cold_penalty(const std::string& warm, const std::string& cold, const std::string& cold_mode,
                     const std::string& quantity, const stats::Comparison& c, const stats::ComparisonPolicy& policy) {
  Finding f = contrast_finding("cold_penalty", cold + "/" + quantity, warm, cold, c, "ms", policy);
  const std::string what = quantity_text(quantity);
  const std::string numbers =
      fmt::format("{} {}; medians {} vs {}, {}", ratio_text(c.ratio), interval_text(c.ratio_ci),
                  format_ms(c.median_candidate), format_ms(c.median_baseline), runs_text(f));
  if (c.verdict == stats::Verdict::Slower) {
    f.sentence = fmt::format("Cold start costs {} in {}: '{}' (cache {}) against '{}' (warm): {}.",
                             percent_change(c.ratio), what, cold, cold_mode, warm, numbers);
  } else if (c.verdict == stats::Verdict::Faster) {
    f.sentence = fmt::format("'{}' (cache {}) is faster than '{}' (warm) in {}: {}.", cold, cold_mode, warm, what,
                             numbers);
  } else if (c.verdict == stats::Verdict::Equivalent) {
    f.sentence = fmt::format("No cold penalty in {}: '{}' (cache {}) is within +-{:g}% of '{}' (warm): {}.", what,
                             cold, cold_mode, 100 * policy.threshold, warm, numbers);
  } else {
    f.sentence = fmt::format("The cold penalty in {} is not resolved: '{}' (cache {}) against '{}': {}; {}.", what,
                             cold, cold_mode, warm, numbers, settle_text(f));
  }
  return f;
}

// Any other compared pair: what the change of setting did.
Finding contrast(const std::string& baseline, const std::string& candidate, const std::string& quantity,
                 const stats::Comparison& c, const stats::ComparisonPolicy& policy) {
  Finding f = contrast_finding("contrast", candidate + "/" + quantity, baseline, candidate, c, "ms", policy);
  const std::string what = quantity_text(quantity);
  const std::string numbers =
      fmt::format("{} {}; medians {} vs {}, {}", ratio_text(c.ratio), interval_text(c.ratio_ci),
                  format_ms(c.median_candidate), format_ms(c.median_baseline), runs_text(f));
  if (stats::conclusive(c.verdict) && c.verdict != stats::Verdict::Equivalent) {
    f.sentence = fmt::format("'{}' is {} than '{}' in {} ({}): {}.", candidate,
                             c.verdict == stats::Verdict::Slower ? "slower" : "faster", baseline, what,
                             percent_change(c.ratio), numbers);
  } else if (c.verdict == stats::Verdict::Equivalent) {
    f.sentence = fmt::format("'{}' and '{}' are equivalent in {} (within +-{:g}%): {}.", candidate, baseline, what,
                             100 * policy.threshold, numbers);
  } else {
    f.sentence = fmt::format("'{}' against '{}' in {} is not resolved: {}; {}.", candidate, baseline, what, numbers,
                             settle_text(f));
  }
  return f;
}

void add_session_contrasts(std::vector<Finding>& out, const ResultsDocument& document, const SessionSummary& summary,
                           const StudyTable& table, const std::set<std::pair<std::size_t, std::size_t>>& consumed) {
  const auto pairs = comparison_pairs(document);
  if (pairs.size() != summary.comparisons.size()) return;  // a summary of another document
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const auto [b, c] = pairs[k];
    const CommandComparison& cmp = summary.comparisons[k];
    const std::string& mode_b = table.rows[b].cache_mode;
    const std::string& mode_c = table.rows[c].cache_mode;
    const bool cold_candidate = is_cold(mode_c) && is_warm(mode_b);
    const bool cold_baseline = is_cold(mode_b) && is_warm(mode_c);
    if (cold_candidate || cold_baseline) {
      const bool has_phases = std::any_of(cmp.quantities.begin(), cmp.quantities.end(),
                                          [](const QuantityComparison& q) { return q.quantity != "wall"; });
      for (const auto& q : cmp.quantities) {
        if (has_phases && q.quantity == "wall") continue;
        if (!std::isfinite(q.comparison.ratio)) continue;
        if (cold_candidate) {
          out.push_back(cold_penalty(cmp.baseline, cmp.candidate, mode_c, q.quantity, q.comparison, summary.policy));
        } else {
          out.push_back(cold_penalty(cmp.candidate, cmp.baseline, mode_b, q.quantity, inverted(q.comparison),
                                     summary.policy));
        }
      }
      continue;
    }
    if (consumed.count({b, c})) continue;
    // The wall time always (what the change cost overall); a phase only where it moved.
    for (const auto& q : cmp.quantities) {
      if (!std::isfinite(q.comparison.ratio)) continue;
      const bool moved = q.comparison.verdict == stats::Verdict::Slower || q.comparison.verdict == stats::Verdict::Faster;
      if (q.quantity == "wall" || moved) out.push_back(contrast(cmp.baseline, cmp.candidate, q.quantity, q.comparison, summary.policy));
    }
  }
}

// A contrast the findings measure themselves (not in the session's
// comparisons); decided together as one family, then described.
struct OwnContrast {
  stats::Comparison comparison;
  std::function<std::optional<Finding>(const stats::Comparison&)> describe;
};

std::vector<std::string> env_without_threads(const StudyRow& row) {
  std::vector<std::string> env;
  for (const auto& e : row.env) {
    if (e.find("NUM_THREADS=") == std::string::npos) env.push_back(e);
  }
  return env;
}

// Everything but the thread count the same: the config an oversubscribed one is measured against.
bool same_but_threads(const StudyRow& a, const StudyRow& b, const std::string& text_a, const std::string& text_b) {
  return text_a == text_b && a.isolation == b.isolation && a.cpus == b.cpus && a.cpuset == b.cpuset &&
         a.memory_bytes == b.memory_bytes && a.affinity == b.affinity && a.cache_mode == b.cache_mode &&
         a.parameters == b.parameters && env_without_threads(a) == env_without_threads(b);
}

std::string oversubscription_evidence(const Oversubscription& o, std::vector<FindingEvidence>& evidence) {
  std::string text;
  if (o.throttled_periods && o.periods && *o.periods > 0) {
    const double percent = 100.0 * *o.throttled_periods / *o.periods;
    text = fmt::format("throttled in {:.0f}% of CFS periods, ", percent);
    evidence.push_back({"throttled periods", percent, "%"});
  }
  if (o.throttled_ms) evidence.push_back({"throttled time per run", *o.throttled_ms, "ms"});
  evidence.push_back({"involuntary switches per run", o.involuntary_switches, ""});
  return text + fmt::format("{:.0f} involuntary context switches per run (medians)", o.involuntary_switches);
}

// (b) More compute threads than effective CPUs: the cost against the matched
// config with threads = effective CPUs, on steady latency where both report it.
void add_oversubscription(std::vector<Finding>& out, std::vector<OwnContrast>& own, const ResultsDocument& document,
                          const SessionSummary& summary, const StudyTable& table,
                          std::set<std::pair<std::size_t, std::size_t>>& consumed) {
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const StudyRow& row = table.rows[i];
    if (!row.oversubscription) continue;
    const Oversubscription o = *row.oversubscription;
    std::optional<std::size_t> match;
    for (std::size_t j = 0; j < table.rows.size() && !match; ++j) {
      const StudyRow& other = table.rows[j];
      if (j == i || other.oversubscribed() || other.compute_threads != o.effective_cpus) continue;
      if (same_but_threads(row, other, summary.commands[i].command_text, summary.commands[j].command_text)) match = j;
    }
    std::vector<FindingEvidence> evidence = {{"compute threads", double(o.compute_threads), ""},
                                             {"effective CPUs", double(o.effective_cpus), ""}};
    const std::string why = oversubscription_evidence(o, evidence);
    const std::string head = fmt::format("'{}' runs {} compute threads on {} effective CPU{}", row.config,
                                         o.compute_threads, o.effective_cpus, o.effective_cpus == 1 ? "" : "s");
    if (!match) {
      Finding f;
      f.id = "oversubscription";
      f.subject = row.config;
      f.verdict = FindingVerdict::Inconclusive;
      f.effect_name = "compute threads / effective CPUs";
      f.effect = double(o.compute_threads) / o.effective_cpus;
      f.candidate = row.config;
      f.n_candidate = std::size_t(o.runs);
      f.test = "rule: threads > effective CPUs";
      f.evidence = evidence;
      f.sentence = fmt::format(
          "{} ({}); its cost is not measured: the study has no config that differs only in threads = {}.", head, why,
          o.effective_cpus);
      out.push_back(std::move(f));
      continue;
    }
    consumed.insert({*match, i});
    consumed.insert({i, *match});
    const auto over_ok = command_runs(document, int(i)).ok, matched_ok = command_runs(document, int(*match)).ok;
    RunValues over = metric_run_medians(over_ok, marker::kMetricLatency);
    RunValues base = metric_run_medians(matched_ok, marker::kMetricLatency);
    std::string quantity = "steady latency (per-run median)";
    if (over.values.size() < 2 || base.values.size() < 2 || over.unit != base.unit) {
      over = wall_values(over_ok);
      base = wall_values(matched_ok);
      quantity = "wall time";
    }
    if (over.values.size() < 2 || base.values.size() < 2) continue;
    // p95 of the pooled latency, evidence only (no interval: its tail CI needs many values).
    std::optional<double> p95_ratio;
    const auto& over_metrics = summary.commands[i].metrics;
    const auto& base_metrics = summary.commands[*match].metrics;
    auto p95_of = [](const std::vector<SampleSummary>& metrics) -> std::optional<double> {
      for (const auto& m : metrics) {
        if (m.name == marker::kMetricLatency) return m.summary.p95;
      }
      return std::nullopt;
    };
    if (auto a = p95_of(over_metrics), b = p95_of(base_metrics); a && b && *b > 0) p95_ratio = *a / *b;
    const std::string matched = table.rows[*match].config, unit = over.unit;
    const stats::ComparisonPolicy policy = summary.policy;
    own.push_back({stats::measure_comparison(base.values, over.values, policy),
                   [=](const stats::Comparison& c) -> std::optional<Finding> {
                     Finding f = contrast_finding("oversubscription", row.config, matched, row.config, c, unit, policy);
                     f.evidence.insert(f.evidence.end(), evidence.begin(), evidence.end());
                     if (p95_ratio) f.evidence.push_back({"latency p95 ratio (pooled)", *p95_ratio, "x"});
                     const std::string numbers = fmt::format(
                         "{} {} {}, against '{}' (threads = {}), {}", quantity, ratio_text(c.ratio),
                         interval_text(c.ratio_ci), matched, o.effective_cpus, runs_text(f));
                     if (c.verdict == stats::Verdict::Slower) {
                       f.sentence = fmt::format("{}: {}; {}.", head, numbers, why);
                       f.recommendation = fmt::format("threads = effective CPUs ({}): {} {} lower here{}",
                                                      o.effective_cpus, quantity, ratio_text(c.ratio),
                                                      p95_ratio && *p95_ratio > 1
                                                          ? fmt::format(" (p95 {})", ratio_text(*p95_ratio))
                                                          : "");
                     } else if (c.verdict == stats::Verdict::Inconclusive) {
                       f.sentence = fmt::format("{}; its cost is not resolved: {}; {}.", head, numbers, settle_text(f));
                     } else {
                       f.sentence = fmt::format("{} but is not slower for it ({}): {}; {}.", head,
                                                stats::to_string(c.verdict), numbers, why);
                     }
                     return f;
                   }});
  }
}

// (c) The first inference far above the steady latency: initialization the
// first call pays (lazy allocation, kernel selection, JIT).
void add_lazy_first_calls(std::vector<OwnContrast>& own, const ResultsDocument& document,
                          const SessionSummary& summary, const FindingThresholds& thresholds) {
  for (std::size_t i = 0; i < summary.commands.size(); ++i) {
    const CommandSummary& command = summary.commands[i];
    auto phase = std::find_if(command.phases.begin(), command.phases.end(),
                              [](const SampleSummary& p) { return p.name == marker::kPhaseFirstInference; });
    if (phase == command.phases.end()) continue;
    RunValues steady = metric_run_medians(command_runs(document, int(i)).ok, marker::kMetricLatency);
    if (steady.unit != "ms" || steady.values.size() < 2 || phase->values.size() < 2) continue;
    const stats::ComparisonPolicy policy = summary.policy;
    stats::Comparison c = stats::measure_comparison(steady.values, phase->values, policy);
    // Tested only where the point estimate reaches the factor: "far above" is the claim.
    if (!std::isfinite(c.ratio) || c.ratio < thresholds.lazy_first_factor) continue;
    const std::string name = command.name;
    own.push_back({c, [=](const stats::Comparison& d) -> std::optional<Finding> {
                     if (d.verdict != stats::Verdict::Slower && d.verdict != stats::Verdict::Inconclusive)
                       return std::nullopt;
                     Finding f = contrast_finding("lazy_first_call", name + "/" + marker::kPhaseFirstInference,
                                                  "latency (per-run median)", "first_inference", d, "ms", policy);
                     const std::string numbers =
                         fmt::format("{} {}; medians {} vs {}, {}", ratio_text(d.ratio), interval_text(d.ratio_ci),
                                     format_ms(d.median_candidate), format_ms(d.median_baseline), runs_text(f));
                     if (d.verdict == stats::Verdict::Slower) {
                       f.sentence = fmt::format(
                           "The first inference of '{}' takes {} its steady latency {}; medians {} vs {}, {}: the "
                           "first call pays for lazy initialization.",
                           name, ratio_text(d.ratio), interval_text(d.ratio_ci), format_ms(d.median_candidate),
                           format_ms(d.median_baseline), runs_text(f));
                       f.recommendation = fmt::format(
                           "make one warm-up call before serving: it takes {} off the first request",
                           format_ms(d.median_candidate - d.median_baseline));
                     } else {
                       f.sentence = fmt::format(
                           "The first inference of '{}' may be far above its steady latency, but it is not "
                           "resolved: {}; {}.",
                           name, numbers, settle_text(f));
                     }
                     return f;
                   }});
  }
}

// (h) An optimization mode's gain: configs alike but for one that reports a
// model_optimized phase, compared on steady latency; its break-even point is
// the optimization time over the saving per inference.
void add_mode_gains(std::vector<OwnContrast>& own, const ResultsDocument& document, const SessionSummary& summary,
                    const StudyTable& table) {
  auto phase_median = [](const CommandSummary& c, const char* name) -> std::optional<double> {
    for (const auto& p : c.phases) {
      if (p.name == name && p.summary.n > 0) return p.summary.median;
    }
    return std::nullopt;
  };
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto optimize_ms = phase_median(summary.commands[i], marker::kPhaseModelOptimized);
    if (!optimize_ms) continue;
    for (std::size_t j = 0; j < table.rows.size(); ++j) {
      if (j == i || phase_median(summary.commands[j], marker::kPhaseModelOptimized)) continue;
      // A sweep's "mode" axis is the difference under test, not a mismatch.
      StudyRow a = table.rows[i], b = table.rows[j];
      for (StudyRow* row : {&a, &b}) {
        std::erase_if(row->parameters, [](const std::string& p) { return p.starts_with("mode="); });
      }
      if (a.compute_threads != b.compute_threads || !same_but_threads(a, b, "", "")) continue;
      RunValues optimized = metric_run_medians(command_runs(document, int(i)).ok, marker::kMetricLatency);
      RunValues plain = metric_run_medians(command_runs(document, int(j)).ok, marker::kMetricLatency);
      if (optimized.unit != "ms" || plain.unit != "ms" || optimized.values.size() < 2 || plain.values.size() < 2)
        continue;
      const std::string fast = a.config, slow = b.config;
      const double cost = *optimize_ms;
      const stats::ComparisonPolicy policy = summary.policy;
      own.push_back({stats::measure_comparison(plain.values, optimized.values, policy),
                     [=](const stats::Comparison& c) -> std::optional<Finding> {
                       Finding f = contrast_finding("mode_gain", fast, slow, fast, c, "ms", policy);
                       const double saving = c.median_baseline - c.median_candidate;
                       // The saving's interval from the ratio's: baseline x (1 - ratio bounds).
                       const double fewest = cost / (c.median_baseline * (1 - c.ratio_ci.low));
                       const double most = cost / (c.median_baseline * (1 - c.ratio_ci.high));
                       f.evidence.push_back({"optimization time (model_optimized)", cost, "ms"});
                       f.evidence.push_back({"saving per inference", saving, "ms"});
                       const std::string numbers = fmt::format(
                           "steady latency {} {} of '{}' (medians {} vs {}, {})", ratio_text(c.ratio),
                           interval_text(c.ratio_ci), slow, format_ms(c.median_candidate),
                           format_ms(c.median_baseline), runs_text(f));
                       if (c.verdict == stats::Verdict::Faster && saving > 0) {
                         const double even = cost / saving;
                         f.evidence.push_back({"break-even inferences", even, ""});
                         const bool bounded = c.ratio_ci.valid() && c.ratio_ci.high < 1;
                         f.sentence = fmt::format(
                             "'{}' optimizes the model ({}) and then runs at {}: its optimization pays for itself "
                             "after about {:.0f} inferences{}.",
                             fast, format_ms(cost), numbers, std::ceil(even),
                             bounded ? fmt::format(" ({:.0f} to {:.0f} over the ratio's interval)",
                                                   std::ceil(fewest), std::ceil(most))
                                     : "");
                         f.recommendation = fmt::format(
                             "optimize where a process serves more than about {:.0f} inferences", std::ceil(even));
                       } else if (c.verdict == stats::Verdict::Inconclusive) {
                         f.sentence = fmt::format("The gain of '{}' over '{}' is not resolved: {}; {}.", fast, slow,
                                                  numbers, settle_text(f));
                       } else {
                         f.sentence = fmt::format(
                             "'{}' spends {} optimizing the model and gains nothing at steady state ({}): {}.", fast,
                             format_ms(cost), stats::to_string(c.verdict), numbers);
                       }
                       return f;
                     }});
    }
  }
}

}  // namespace

std::vector<Finding> find_findings(const ResultsDocument& document, const SessionSummary& summary,
                                   const FindingThresholds& thresholds) {
  std::vector<Finding> out;
  if (summary.commands.size() != document.commands.size()) return out;
  const StudyTable table = build_study_table(document, summary);
  std::vector<OwnContrast> own;
  std::set<std::pair<std::size_t, std::size_t>> consumed;
  add_oversubscription(out, own, document, summary, table, consumed);
  add_lazy_first_calls(own, document, summary, thresholds);
  add_mode_gains(own, document, summary, table);
  add_session_contrasts(out, document, summary, table, consumed);
  // The findings' own contrasts are one Holm family, apart from the session's comparisons.
  std::vector<stats::Comparison*> family;
  for (auto& contrast : own) family.push_back(&contrast.comparison);
  stats::decide_family(family, summary.policy);
  for (const auto& contrast : own) {
    if (auto finding = contrast.describe(contrast.comparison)) out.push_back(std::move(*finding));
  }
  add_iteration_trends(out, document, summary, thresholds);
  add_run_patterns(out, summary, thresholds);
  add_machine_findings(out, summary, table, thresholds);
  add_cache_findings(out, summary, table);
  add_attribution_findings(out, document, summary);

  auto rank = [](FindingVerdict v) { return v == FindingVerdict::Shown ? 0 : v == FindingVerdict::Equivalent ? 1 : 2; };
  // A busy machine qualifies every other number, so when it is shown it
  // comes first, whatever the strength of the rest.
  auto context = [](const Finding& f) { return f.id == "busy_machine" && f.verdict == FindingVerdict::Shown; };
  std::stable_sort(out.begin(), out.end(), [&](const Finding& a, const Finding& b) {
    if (context(a) != context(b)) return context(a);
    if (rank(a.verdict) != rank(b.verdict)) return rank(a.verdict) < rank(b.verdict);
    return a.strength > b.strength;
  });
  return out;
}

}  // namespace coldbench::analysis
