#include "report/findings_text.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/json_text.hpp"
#include "report/html_report.hpp"
#include "report/markdown_text.hpp"
#include "report/summary_json.hpp"

namespace coldbench::report {
namespace {

// The verdict in front of the sentence, so an unresolved finding never reads as a result.
std::string tag(const analysis::Finding& f) { return fmt::format("[{}]", analysis::to_string(f.verdict)); }

std::string heading_note(std::size_t shown, std::size_t total) {
  if (shown == total) return "";
  return fmt::format(" ({} of {}; all in the JSON summary's \"findings\")", shown, total);
}

}  // namespace

std::string findings_text(const std::vector<analysis::Finding>& findings, std::size_t top) {
  if (findings.empty()) return "";
  const std::size_t shown = std::min(top, findings.size());
  std::string out = "What we found" + heading_note(shown, findings.size()) + "\n";
  for (std::size_t k = 0; k < shown; ++k) {
    const analysis::Finding& f = findings[k];
    out += fmt::format("  {}. {} {}\n", k + 1, tag(f), f.sentence);
    if (!f.recommendation.empty()) out += fmt::format("     recommendation: {}\n", f.recommendation);
  }
  return out;
}

std::string findings_markdown(const std::vector<analysis::Finding>& findings) {
  if (findings.empty()) return "";
  std::string out = "## What we found\n\n";
  for (std::size_t k = 0; k < findings.size(); ++k) {
    const analysis::Finding& f = findings[k];
    // Sentences carry config names from users: markdown_text escapes them.
    out += fmt::format("{}. **{}** {}", k + 1, analysis::to_string(f.verdict), markdown_text(f.sentence));
    if (!f.recommendation.empty()) out += " *Recommendation:* " + markdown_text(f.recommendation) + ".";
    out += "\n";
  }
  return out;
}

std::string findings_html(const std::vector<analysis::Finding>& findings) {
  if (findings.empty()) return "";
  std::string out = "<h2>What we found</h2>\n<ol class=\"findings\">\n";
  for (const auto& f : findings) {
    out += fmt::format("<li data-finding=\"{}\"><b>{}</b> {}", html_escape(f.id),
                       html_escape(std::string(analysis::to_string(f.verdict))), html_escape(f.sentence));
    if (!f.recommendation.empty()) out += " <i>Recommendation:</i> " + html_escape(f.recommendation) + ".";
    out += "</li>\n";
  }
  return out + "</ol>\n";
}

nlohmann::json findings_json(const std::vector<analysis::Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : findings) {
    nlohmann::json evidence = nlohmann::json::array();
    for (const auto& e : f.evidence) {
      evidence.push_back({{"name", e.name}, {"value", finite_or_null(e.value)}, {"unit", e.unit}});
    }
    auto side = [](const std::string& name, std::size_t n) {
      return name.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"name", name}, {"n", n}};
    };
    out.push_back({{"id", f.id},
                   {"subject", f.subject},
                   {"verdict", std::string(analysis::to_string(f.verdict))},
                   {"sentence", f.sentence},
                   {"effect", {{"name", f.effect_name}, {"value", finite_or_null(f.effect)}, {"interval", to_json(f.effect_ci)}}},
                   {"baseline", side(f.baseline, f.n_baseline)},
                   {"candidate", side(f.candidate, f.n_candidate)},
                   {"test", {{"name", f.test}, {"p", finite_or_null(f.p_value)}}},
                   {"runs_needed", f.runs_needed > 0 ? nlohmann::json(f.runs_needed) : nlohmann::json(nullptr)},
                   {"evidence", evidence},
                   {"recommendation", f.recommendation.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.recommendation)}});
  }
  return out;
}

}  // namespace coldbench::report
