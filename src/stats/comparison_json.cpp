#include "stats/comparison_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "core/json_text.hpp"

namespace coldbench::stats {

nlohmann::json interval_json(const Interval& i) {
  return {{"low", finite_or_null(i.low)},
          {"high", finite_or_null(i.high)},
          {"level", i.level},
          {"requested_level", i.requested_level},
          {"exact", i.exact},
          {"n_needed", i.n_needed > 0 ? nlohmann::json(i.n_needed) : nlohmann::json(nullptr)}};
}

nlohmann::json comparison_json(const Comparison& r) {
  return {
      {"n_baseline", r.n_baseline},
      {"n_candidate", r.n_candidate},
      {"median_baseline", finite_or_null(r.median_baseline)},
      {"median_candidate", finite_or_null(r.median_candidate)},
      {"ratio", finite_or_null(r.ratio)},
      {"ratio_ci", interval_json(r.ratio_ci)},
      {"mann_whitney",
       {{"u", finite_or_null(r.mann_whitney.statistic)},
        {"p", finite_or_null(r.mann_whitney.p_value)},
        {"exact", r.mann_whitney.exact}}},
      {"welch",
       {{"t", finite_or_null(r.welch.statistic)},
        {"df", finite_or_null(r.welch.df)},
        {"p", finite_or_null(r.welch.p_value)}}},
      {"cohens_d", finite_or_null(r.cohens_d)},
      {"cliffs_delta", finite_or_null(r.cliffs_delta)},
      {"p_adjusted", finite_or_null(r.p_adjusted)},
      {"p_equivalence", finite_or_null(r.p_equivalence)},
      {"p_equivalence_adjusted", finite_or_null(r.p_equivalence_adjusted)},
      {"family", r.family},
      {"log_sd", finite_or_null(r.log_sd)},
      {"mde_ratio", finite_or_null(r.mde_ratio)},
      {"detectable", std::isfinite(r.mde_ratio)},  // false: none at this n, or no spread
      {"runs_needed", r.runs_needed > 0 ? nlohmann::json(r.runs_needed) : nlohmann::json(nullptr)},
      {"verdict", std::string(to_string(r.verdict))}};
}

std::string comparison_headline(const Comparison& r, std::string_view what) {
  std::string interval = "no interval yet";
  if (r.ratio_ci.valid()) {
    interval = fmt::format("[{:.3g}, {:.3g}] ({:g}%)", r.ratio_ci.low, r.ratio_ci.high,
                           r.ratio_ci.level * 100.0);
  }
  std::string line = fmt::format(
      "B vs A ({}): {}, median ratio {:.3g} {}, Mann-Whitney p {:.2g}, Cliff's delta {:.2f}, "
      "Cohen's d {:.2f}, n {} / {}",
      what, to_string(r.verdict), r.ratio, interval, r.mann_whitney.p_value, r.cliffs_delta,
      r.cohens_d, r.n_baseline, r.n_candidate);
  if (std::isfinite(r.mde_ratio)) line += fmt::format(", detectable {:.3g}x", r.mde_ratio);
  if (r.runs_needed > 0) line += fmt::format(", ~{} per arm to decide", r.runs_needed);
  return line;
}

}  // namespace coldbench::stats
