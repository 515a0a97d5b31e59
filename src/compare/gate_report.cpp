#include "compare/gate_report.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/json_text.hpp"
#include "report/markdown_text.hpp"
#include "report/summary_json.hpp"
#include "report/table.hpp"
#include "report/text_format.hpp"

namespace coldbench::compare {
namespace {

using report::format_p;
using report::format_ratio_ci;
using report::format_value;

std::string signed_number(double value, const char* format) {
  return std::isfinite(value) ? fmt::format(fmt::runtime(format), value) : "n/a";
}

std::string quantity_label(const QuantityDelta& q) {
  return q.kind == QuantityKind::Metric ? q.quantity + " (per-run median)" : q.quantity;
}

std::string verdict_text(const QuantityDelta& q) {
  if (q.comparison.verdict == stats::Verdict::Slower) return "SLOWER (regression)";
  return report::format_verdict(q.comparison);
}

std::string failures_text(const ConfigDelta& c) {
  return fmt::format("failed runs: base {}/{}, current {}/{}", c.base_failed, c.base_measured,
                     c.current_failed, c.current_measured);
}

std::string settings(const GateResult& result) {
  return report::policy_sentence(result.options, static_cast<std::size_t>(result.tests));
}

std::vector<std::string> regression_list(const GateResult& result) {
  std::vector<std::string> items;
  for (const auto& c : result.configs) {
    if (c.more_failures())
      items.push_back(fmt::format("{}: more failed runs ({}/{})", c.config, c.current_failed,
                                  c.current_measured));
    for (const auto& q : c.quantities) {
      if (q.comparison.verdict == stats::Verdict::Slower) {
        items.push_back(fmt::format("{}: {} {:+.1f}%", c.config, quantity_label(q),
                                    (q.comparison.ratio - 1.0) * 100.0));
      }
    }
  }
  return items;
}

std::string p_header(const GateResult& result) { return report::p_header(result.options); }

}  // namespace

std::string gate_conclusion(const GateResult& result) {
  auto regressions = regression_list(result);
  if (!regressions.empty()) {
    std::string list;
    for (const auto& r : regressions) list += (list.empty() ? "" : "; ") + r;
    return fmt::format("REGRESSION: {} ({} of {} comparisons)", list, regressions.size(),
                       result.tests);
  }
  if (int undecided = result.undecided(); undecided > 0) {
    int too_few = 0;
    for (const auto& c : result.configs) too_few += c.too_few_runs;
    const int total = result.tests + too_few;
    const std::size_t runs = result.most_runs_needed();
    return fmt::format(
        "INCONCLUSIVE: no regression shown, but {} of {} quantit{} cannot be decided at these runs{}; not a pass",
        undecided, total, total == 1 ? "y" : "ies",
        runs > 0 ? fmt::format(" (needs {} runs per config and side)", runs) : "");
  }
  int faster = result.improvements();
  return fmt::format("OK: every comparison shown faster or equivalent within {:g}% ({} comparison{}{})",
                     result.options.threshold * 100.0, result.tests, result.tests == 1 ? "" : "s",
                     faster > 0 ? fmt::format(", {} faster", faster) : "");
}

std::string render_gate_text(const GateResult& result, const GateSources& sources) {
  std::string out = fmt::format("coldbench compare: base {} -> current {}\n{}\n", sources.base,
                                sources.current, settings(result));
  for (const auto& c : result.configs) {
    out += fmt::format("\nconfig '{}' ({} / {} successful runs)\n", c.config,
                       c.base_measured - c.base_failed, c.current_measured - c.current_failed);
    report::Table table({"quantity", "base", "current", "ratio [CI] (coverage)", p_header(result),
                         "p (Welch)", "Cliff's delta", "detects", "verdict"});
    for (const auto& q : c.quantities) {
      const auto& r = q.comparison;
      table.add_row({quantity_label(q), format_value(r.median_baseline, q.unit),
                     format_value(r.median_candidate, q.unit), format_ratio_ci(r),
                     format_p(r.p_adjusted), format_p(r.welch.p_value),
                     signed_number(r.cliffs_delta, "{:+.2f}"), report::format_mde(r), verdict_text(q)});
    }
    if (!table.empty()) out += table.to_text();
    if (c.base_failed > 0 || c.current_failed > 0) {
      out += fmt::format("  {}{}\n", failures_text(c), c.more_failures() ? " -> REGRESSION" : "");
    }
    for (const auto& s : c.skipped) out += "  not compared: " + s + "\n";
  }
  if (!result.only_in_base.empty() || !result.only_in_current.empty()) out += "\n";
  for (const auto& name : result.only_in_base)
    out += fmt::format("config '{}' is only in the base: not compared\n", name);
  for (const auto& name : result.only_in_current)
    out += fmt::format("config '{}' is only in the current: not compared\n", name);
  return out + "\n" + gate_conclusion(result) + "\n";
}

std::string render_gate_markdown(const GateResult& result, const GateSources& sources) {
  std::string out = result.regressed()  ? "### ❌ coldbench: performance regression\n\n"
                    : result.passed() ? "### ✅ coldbench: no performance regression\n\n"
                                      : "### ⚠️ coldbench: inconclusive (more runs needed)\n\n";
  // Config and quantity names come from results files, the sources from the
  // command line: all through markdown_text (the table escapes its cells).
  using report::markdown_text;
  out += markdown_text(gate_conclusion(result)) + "\n\n";
  out += fmt::format("Base {} → current {}; {}.\n\n", markdown_text(sources.base),
                     markdown_text(sources.current), markdown_text(settings(result)));
  report::Table table({"Config", "Quantity", "Base", "Current", "Ratio [CI] (coverage)", p_header(result),
                       "p (Welch)", "Detects", "Verdict"});
  for (const auto& c : result.configs) {
    for (const auto& q : c.quantities) {
      const auto& r = q.comparison;
      bool slower = r.verdict == stats::Verdict::Slower;
      table.add_row({c.config, quantity_label(q), format_value(r.median_baseline, q.unit),
                     format_value(r.median_candidate, q.unit), format_ratio_ci(r),
                     format_p(r.p_adjusted), format_p(r.welch.p_value), report::format_mde(r),
                     slower ? "slower" : verdict_text(q)},
                    slower ? std::vector<std::size_t>{4, 8} : std::vector<std::size_t>{});
    }
  }
  out += table.to_markdown();
  std::string notes;
  for (const auto& c : result.configs) {
    if (c.base_failed > 0 || c.current_failed > 0) {
      notes += fmt::format("- {}: {}{}\n", markdown_text(c.config), failures_text(c),
                           c.more_failures() ? " (**regression**)" : "");
    }
    for (const auto& s : c.skipped)
      notes += fmt::format("- {}: not compared: {}\n", markdown_text(c.config), markdown_text(s));
  }
  for (const auto& name : result.only_in_base)
    notes += fmt::format("- {} is only in the base (not compared)\n", markdown_text(name));
  for (const auto& name : result.only_in_current)
    notes += fmt::format("- {} is only in the current (not compared)\n", markdown_text(name));
  if (!notes.empty()) out += "\n" + notes;
  out +=
      "\n<sub>Wall, phases: one value per successful run; latency: each run's median. Verdict "
      "\"slower\": corrected Mann-Whitney p below alpha and the ratio above 1 + threshold; "
      "\"equivalent\": TOST within the threshold; the gate passes only when every quantity is faster or "
      "equivalent (docs/regression-gate.md, docs/statistics.md).</sub>\n";
  return out;
}

nlohmann::json to_json(const GateResult& result, const GateSources& sources) {
  nlohmann::json configs = nlohmann::json::array();
  for (const auto& c : result.configs) {
    nlohmann::json quantities = nlohmann::json::array();
    for (const auto& q : c.quantities) {
      const auto& r = q.comparison;
      nlohmann::json entry = report::comparison_fields(r);
      // The gate's names for the two sides (base / current), kept from schema 1.
      entry["n_base"] = r.n_baseline;
      entry["n_current"] = r.n_candidate;
      entry["median_base"] = finite_or_null(r.median_baseline);
      entry["median_current"] = finite_or_null(r.median_candidate);
      entry["p_mann_whitney"] = finite_or_null(r.mann_whitney.p_value);
      entry["p_welch"] = finite_or_null(r.welch.p_value);
      entry["quantity"] = q.quantity;
      entry["kind"] = std::string(to_string(q.kind));
      entry["unit"] = q.unit;
      quantities.push_back(std::move(entry));
    }
    configs.push_back({{"config", c.config},
                       {"base_measured", c.base_measured},
                       {"base_failed", c.base_failed},
                       {"current_measured", c.current_measured},
                       {"current_failed", c.current_failed},
                       {"more_failures", c.more_failures()},
                       {"quantities", quantities},
                       {"skipped", c.skipped}});
  }
  return {{"base", sources.base},
          {"current", sources.current},
          {"threshold", result.options.threshold},
          {"alpha", result.options.alpha},
          {"correction", std::string(stats::to_string(result.options.correction))},
          {"power", result.options.power},
          {"tests", result.tests},
          {"regressions", result.regressions()},
          {"improvements", result.improvements()},
          {"undecided", result.undecided()},
          {"regressed", result.regressed()},
          {"passed", result.passed()},
          {"outcome", result.regressed() ? "regression" : result.passed() ? "pass" : "inconclusive"},
          {"runs_needed", result.most_runs_needed() > 0 ? nlohmann::json(result.most_runs_needed())
                                                          : nlohmann::json(nullptr)},
          {"configs", configs},
          {"only_in_base", result.only_in_base},
          {"only_in_current", result.only_in_current}};
}

}  // namespace coldbench::compare
