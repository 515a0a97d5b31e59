#pragma once
// `coldbench report --html`: one self-contained page (opens offline) with the
// study table and the charts of report_charts.hpp, drawn by Vega-Lite and
// vega-embed inlined from web_assets.hpp. The page reports its own rendering
// in <div id="render-status" data-state="done" data-charts=N data-expected=N
// data-errors=N data-warnings=N>, which the browser test reads.

#include <string>

#include "core/expected.hpp"
#include "report/reporter.hpp"
#include "report/web_assets.hpp"

namespace coldbench::report {

class HtmlReporter : public Reporter {
 public:
  explicit HtmlReporter(WebAssets assets) : assets_(std::move(assets)) {}
  std::string_view format() const override { return "html"; }
  std::optional<std::string> render(const ResultsDocument& document,
                                    const analysis::SessionSummary* summary) const override;

 private:
  WebAssets assets_;
};

// Finds the JavaScript (load_web_assets) and returns the reporter.
Expected<std::unique_ptr<Reporter>> make_html_reporter();

// Text safe inside HTML elements and attribute values.
std::string html_escape(const std::string& text);

// `source` made safe inside <script>...</script>: no "</script" can end the element early.
std::string script_safe(std::string source);

}  // namespace coldbench::report
