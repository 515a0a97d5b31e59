#include "load/slo.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/json_text.hpp"
#include "core/quantile.hpp"
#include "core/units.hpp"
#include "stats/order_statistics.hpp"

namespace coldbench::load {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kZ95 = 1.959963984540054;

std::string_view trim_view(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Expected<double> parse_number(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(value))
    return make_error("not a number");
  return value;
}

// A bound is met when the whole interval is on the good side, missed when the whole
// interval is on the bad side.
Verdict compare(double low, double high, double limit) {
  if (std::isnan(low) || std::isnan(high)) return Verdict::Inconclusive;
  if (high <= limit) return Verdict::Pass;
  if (low > limit) return Verdict::Fail;
  return Verdict::Inconclusive;
}

}  // namespace

Expected<Slo> parse_slo(std::string_view text) {
  Slo slo;
  slo.text = std::string(trim_view(text));
  constexpr const char* kForm =
      "give comma-separated NAME=LIMIT: pNN=DURATION (p50, p90, p99, p99.9) or errors=PERCENT, "
      "e.g. --slo p99=50ms or --slo p99=50ms,errors=1%";
  if (slo.text.empty()) return make_error("--slo is empty: {}", kForm);
  std::string_view rest = slo.text;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view part = trim_view(rest.substr(0, comma));
    const size_t eq = part.find('=');
    if (part.empty() || eq == std::string_view::npos) {
      return make_error("--slo '{}': '{}' has no '='; {}", slo.text, part, kForm);
    }
    SloBound bound;
    bound.name = std::string(trim_view(part.substr(0, eq)));
    const std::string_view limit = trim_view(part.substr(eq + 1));
    if (bound.name == "errors") {
      bound.error_rate = true;
      const bool percent = !limit.empty() && limit.back() == '%';
      auto value = parse_number(percent ? limit.substr(0, limit.size() - 1) : limit);
      const double fraction = value ? (percent ? *value / 100 : *value) : stats::kNaN;
      if (!value || !(fraction > 0) || !(fraction < 1)) {
        return make_error(
            "--slo '{}': errors={} is not a fraction of failed requests above 0% and below 100%; "
            "write e.g. errors=1% or errors=0.01",
            slo.text, limit);
      }
      bound.max_fraction = fraction;
    } else if (bound.name.size() > 1 && bound.name.front() == 'p') {
      auto percentile = parse_number(std::string_view(bound.name).substr(1));
      if (!percentile || !(*percentile > 0) || !(*percentile < 100)) {
        return make_error("--slo '{}': '{}' is not a percentile between p0 and p100 exclusive; {}",
                          slo.text, bound.name, kForm);
      }
      bound.p = *percentile / 100;
      auto seconds = parse_duration_seconds(limit);
      if (!seconds) {
        return make_error("--slo '{}': {}={} needs a latency such as 50ms or 0.2s ({})", slo.text,
                          bound.name, limit, seconds.error().message);
      }
      bound.limit_ms = *seconds * 1000;
    } else {
      return make_error("--slo '{}': unknown bound '{}'; {}", slo.text, bound.name, kForm);
    }
    for (const SloBound& seen : slo.bounds) {
      if (seen.name == bound.name)
        return make_error("--slo '{}': '{}' is given twice; keep one", slo.text, bound.name);
    }
    slo.bounds.push_back(std::move(bound));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return slo;
}

int64_t min_requests_for(const Slo& slo) {
  int64_t most = 0;
  for (const SloBound& bound : slo.bounds) {
    if (bound.error_rate) continue;
    most = std::max<int64_t>(
        most, static_cast<int64_t>(stats::min_n_for_quantile_ci(bound.p, stats::kDefaultLevel)));
  }
  return most;
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::Pass:
      return "pass";
    case Verdict::Fail:
      return "fail";
    case Verdict::Inconclusive:
      break;
  }
  return "inconclusive";
}

SloJudgement judge_slo(const Slo& slo, std::span<const RequestRecord> records) {
  SloJudgement out;
  std::vector<double> latency_ms;
  for (const RequestRecord& r : records) {
    if (r.warmup) continue;
    ++out.requests;
    const bool ok = r.answered() && r.status >= 200 && r.status < 300;
    if (!ok) ++out.failed;
    latency_ms.push_back(ok ? static_cast<double>(r.latency_ns()) / 1e6 : kInf);
  }
  std::sort(latency_ms.begin(), latency_ms.end());
  bool any_fail = false, all_pass = true;
  for (const SloBound& bound : slo.bounds) {
    BoundJudgement j;
    j.bound = bound;
    if (bound.error_rate) {
      if (out.requests > 0) {
        const double n = static_cast<double>(out.requests), k = static_cast<double>(out.failed);
        const double z2 = kZ95 * kZ95;
        const double centre = (k + z2 / 2) / (n + z2);
        const double half = kZ95 * std::sqrt(k * (n - k) / n + z2 / 4) / (n + z2);
        j.value = k / n;
        j.low = std::max(0.0, centre - half);
        j.high = std::min(1.0, centre + half);
      }
      j.verdict = compare(j.low, j.high, bound.max_fraction);
    } else {
      if (!latency_ms.empty()) {
        j.value = quantile_sorted(latency_ms, bound.p);
        if (std::isnan(j.value)) j.value = kInf;  // interpolating between two failures
      }
      stats::Interval ci;
      if (latency_ms.size() >= 2)
        ci = stats::quantile_ci_sorted(latency_ms, bound.p, stats::kDefaultLevel,
                                       stats::ShortLevel::None);
      if (latency_ms.size() >= 2 && ci.level > 0) {
        j.low = ci.low;
        j.high = ci.high;
      } else {
        j.n_needed =
            static_cast<int64_t>(stats::min_n_for_quantile_ci(bound.p, stats::kDefaultLevel));
      }
      j.verdict = compare(j.low, j.high, bound.limit_ms);
    }
    any_fail = any_fail || j.verdict == Verdict::Fail;
    all_pass = all_pass && j.verdict == Verdict::Pass;
    out.bounds.push_back(std::move(j));
  }
  out.verdict = any_fail ? Verdict::Fail : all_pass ? Verdict::Pass : Verdict::Inconclusive;
  return out;
}

nlohmann::json to_json(const SloJudgement& judgement) {
  // Infinity (failed requests reach the quantile) is written as the string "inf".
  auto number = [](double v) -> nlohmann::json {
    if (std::isinf(v)) return "inf";
    return finite_or_null(v);
  };
  nlohmann::json bounds = nlohmann::json::array();
  for (const BoundJudgement& j : judgement.bounds) {
    nlohmann::json entry{{"name", j.bound.name}, {"verdict", verdict_name(j.verdict)}};
    if (j.bound.error_rate) {
      entry["limit_fraction"] = j.bound.max_fraction;
      entry["fraction"] = number(j.value);
      entry["ci"] =
          std::isnan(j.low) ? nlohmann::json() : nlohmann::json{{"low", j.low}, {"high", j.high}};
    } else {
      entry["p"] = j.bound.p;
      entry["limit_ms"] = j.bound.limit_ms;
      entry["ms"] = number(j.value);
      entry["ci"] = std::isnan(j.low)
                        ? nlohmann::json()
                        : nlohmann::json{{"low_ms", number(j.low)}, {"high_ms", number(j.high)}};
      if (j.n_needed > 0) entry["n_needed"] = j.n_needed;
    }
    bounds.push_back(std::move(entry));
  }
  return {{"verdict", verdict_name(judgement.verdict)},
          {"requests", judgement.requests},
          {"failed", judgement.failed},
          {"bounds", bounds}};
}

}  // namespace coldbench::load
