#include "report/load_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/clock.hpp"
#include "core/units.hpp"
#include "stats/comparison_json.hpp"

namespace coldbench::report {
namespace {

std::string quantile_label(double p) {
  return p == 0.999 ? "p99.9" : fmt::format("p{:g}", p * 100);
}

std::string quantile_rows(const std::vector<load::QuantileEstimate>& quantiles) {
  std::string out;
  for (const auto& q : quantiles) {
    if (!std::isfinite(q.value_ms)) {
      out += fmt::format("    {:<6} -\n", quantile_label(q.p));
      continue;
    }
    std::string ci = q.ci.valid()
                         ? fmt::format("[{}, {}] {:.0f}%", format_ms(q.ci.low),
                                       format_ms(q.ci.high), q.ci.level * 100)
                         : fmt::format("(no 95% interval below {} answers)", q.ci.n_needed);
    out += fmt::format("    {:<6} {:>10}  {}\n", quantile_label(q.p), format_ms(q.value_ms), ci);
  }
  return out;
}

std::string counts_line(const load::Counts& c) {
  std::string out = fmt::format("{} requests: {} answered", c.requests, c.answered);
  for (int k = 1; k <= 5; ++k) {
    if (c.status_class[static_cast<std::size_t>(k)] > 0)
      out += fmt::format(", {}xx {}", k, c.status_class[static_cast<std::size_t>(k)]);
  }
  if (c.errors() == 0) return out + "; no errors";
  out += fmt::format("; errors: connect {}, reset {}, timeout {}, protocol {}", c.connect, c.reset,
                     c.timeout, c.protocol);
  return out;
}

}  // namespace

std::string render_load_summary(const load::LoadSummary& s, const std::string& mode,
                                bool closed_loop) {
  std::string out = fmt::format("load ({}), measured window {:.2f} s\n", mode, s.window_s);
  out += fmt::format("  {} {:>10.1f} requests/s\n", closed_loop ? "sent    " : "offered ",
                     s.offered_rate);
  out += fmt::format("  achieved {:>10.1f} requests/s (2xx answers)\n", s.achieved_rate);
  out += "  " + counts_line(s.measured) + "\n";
  if (s.warmup.requests > 0)
    out += "  warmup (not in the statistics): " + counts_line(s.warmup) + "\n";
  out += "  latency (from the intended send time; includes waiting for a connection):\n";
  out += quantile_rows(s.latency);
  if (std::isfinite(s.max_latency_ms))
    out += fmt::format("    {:<6} {:>10}\n", "max", format_ms(s.max_latency_ms));
  out += "  service time (from the actual send):\n";
  out += quantile_rows(s.service);
  return out;
}

std::string render_ab_summary(const load::AbSummary& ab) {
  std::string out = "A/B (arms from X-Coldbench-Arm; latency from the intended send time):\n";
  for (const auto& [name, arm] : {std::pair{"A", &ab.a}, std::pair{"B", &ab.b}}) {
    out += fmt::format("  arm {}: {} answered, {} 2xx, {} 5xx\n", name, arm->answered, arm->ok,
                       arm->server_errors);
    out += quantile_rows(arm->latency);
  }
  out += fmt::format("  verdict (threshold {:g}%, alpha {:g}): {}\n", ab.policy.threshold * 100,
                     ab.policy.alpha, stats::comparison_headline(ab.comparison, "latency"));
  return out;
}

std::string render_peak_header(const load::Slo& slo, const load::PeakSearchRule& rule,
                               const std::string& mode) {
  return fmt::format("find-peak: highest rate meeting SLO {} ({})\n  rule: {}\n", slo.text, mode,
                     load::describe_rule(rule));
}

namespace {
std::string bound_text(const load::BoundJudgement& j) {
  auto ms = [](double v) { return std::isinf(v) ? std::string("inf") : format_ms(v); };
  if (j.bound.error_rate) {
    if (std::isnan(j.value))
      return fmt::format("errors - (limit {:g}%)", j.bound.max_fraction * 100);
    return fmt::format("errors {:.2f}% [{:.2f}, {:.2f}]% (limit {:g}%)", j.value * 100, j.low * 100,
                       j.high * 100, j.bound.max_fraction * 100);
  }
  const std::string value = std::isnan(j.value) ? "-" : ms(j.value);
  const std::string ci = std::isnan(j.low)
                             ? fmt::format("(no interval below {} requests)", j.n_needed)
                             : fmt::format("[{}, {}]", ms(j.low), ms(j.high));
  return fmt::format("{} {} {} (limit {})", j.bound.name, value, ci, format_ms(j.bound.limit_ms));
}
}  // namespace

std::string render_peak_step(int step, double rate, const load::LoadSummary& summary,
                             const load::SloJudgement& judgement) {
  std::string bounds;
  for (const auto& j : judgement.bounds) bounds += (bounds.empty() ? "" : "; ") + bound_text(j);
  std::string failed;
  if (judgement.failed > 0)
    failed = fmt::format(", {} of {} failed", judgement.failed, judgement.requests);
  return fmt::format("  step {:>2}: rate {:>9.1f}/s  achieved {:>9.1f}/s{}  {}  -> {}\n", step,
                     rate, summary.achieved_rate, failed, bounds,
                     load::verdict_name(judgement.verdict));
}

std::string render_peak_result(const load::PeakSearch& search, const load::Slo& slo) {
  const auto& peak = search.peak();
  const auto& fail = search.first_fail();
  std::string out;
  if (!peak) {
    out = fmt::format("peak: no rate met SLO {} ({} after {} steps)\n", slo.text,
                      search.stop_reason(), search.steps());
  } else if (fail) {
    out = fmt::format(
        "peak: {:.1f} requests/s meets SLO {}; bracket [{:.1f}, {:.1f}) (last pass, first "
        "failure), width {:.1f}%; {} after {} steps\n",
        *peak, slo.text, *peak, *fail, (*fail / *peak - 1) * 100, search.stop_reason(),
        search.steps());
  } else {
    out = fmt::format(
        "peak: at least {:.1f} requests/s meets SLO {} (no step failed; {} after {} "
        "steps)\n",
        *peak, slo.text, search.stop_reason(), search.steps());
  }
  return out;
}

void LoadProgress::reset() {
  started_ns_ = last_ns_ = 0;
  done_since_last_ = errors_ = done_ = 0;
  latency_ms_.clear();
}

void LoadProgress::add(const load::RequestRecord& record) {
  ++done_;
  ++done_since_last_;
  if (!record.answered()) ++errors_;
  if (!record.warmup && record.answered())
    latency_ms_.push_back(static_cast<double>(record.latency_ns()) / 1e6);
}

void LoadProgress::tick(int64_t now_ns) {
  if (started_ns_ == 0) started_ns_ = last_ns_ = now_ns;
  const int64_t every = tty_ ? 1'000'000'000 : 5'000'000'000;
  if (now_ns - last_ns_ < every) return;
  std::string p99 = "-";
  if (!latency_ms_.empty()) {
    // nth_element on a copy: p99 so far, about once a second.
    std::vector<double> copy = latency_ms_;
    auto at =
        copy.begin() + static_cast<std::ptrdiff_t>(static_cast<double>(copy.size() - 1) * 0.99);
    std::nth_element(copy.begin(), at, copy.end());
    p99 = format_ms(*at);
  }
  const double rate =
      static_cast<double>(done_since_last_) * 1e9 / static_cast<double>(now_ns - last_ns_);
  const std::string line =
      fmt::format("load {:.0f} s: {:.1f} answers/s, {} done, {} errors, p99 so far {}",
                  static_cast<double>(now_ns - started_ns_) / 1e9, rate, done_, errors_, p99);
  if (tty_) {
    fmt::print(out_, "\r\033[K{}", line);
    drawn_ = true;
  } else {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
  last_ns_ = now_ns;
  done_since_last_ = 0;
}

void LoadProgress::finish() {
  if (tty_ && drawn_) fmt::print(out_, "\r\033[K");
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace coldbench::report
