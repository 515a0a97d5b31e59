#pragma once
// "What we found": the session's findings (analysis/findings.hpp) as the
// console, Markdown and HTML reports open with them, and as the JSON
// summary's "findings" array (docs/result-schema.md). Formatting only.

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/findings.hpp"

namespace coldbench::report {

// The console shows this many; the JSON summary has all.
inline constexpr std::size_t kConsoleFindings = 5;

// "What we found" with the first `top` findings, numbered, each with its
// verdict and recommendation; "" when there are none.
std::string findings_text(const std::vector<analysis::Finding>& findings, std::size_t top = kConsoleFindings);
// The same as a Markdown section ("## What we found"), every finding.
std::string findings_markdown(const std::vector<analysis::Finding>& findings);
// The same as HTML (an <h2> and an ordered list), every finding.
std::string findings_html(const std::vector<analysis::Finding>& findings);

nlohmann::json findings_json(const std::vector<analysis::Finding>& findings);

}  // namespace coldbench::report
