// libFuzzer target: a results file (schema coldbench/1), through what
// `coldbench report` and `coldbench compare` do with one: import, summarise,
// render the study table (text, Markdown, HTML without its scripts), the
// export formats, and the regression gate of the file against itself.

#include <memory>
#include <string>

#include "compare/gate.hpp"
#include "compare/gate_report.hpp"
#include "fuzz_input.hpp"
#include "report/formats.hpp"
#include "report/html_report.hpp"
#include "report/results_source.hpp"
#include "report/study_report.hpp"
#include "report/summary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coldbench;
  auto document = report::parse_results_text(fuzz::as_text(data, size), "fuzz.json");
  if (!document) {
    if (document.error().message.empty()) __builtin_trap();  // every rejection says why
    return 0;
  }
  // Fewer bootstrap resamples than the default 10000: the same code, faster inputs.
  stats::ComparisonOptions options;
  options.bootstrap.resamples = 50;
  const report::SessionSummary summary = report::summarize_session(*document, options);
  (void)report::to_json(summary).dump();

  const report::StudyReporter text(report::StudyReporter::Style::Text);
  const report::StudyReporter markdown(report::StudyReporter::Style::Markdown);
  const report::HtmlReporter html{report::WebAssets{}};
  for (const report::Reporter* reporter : {static_cast<const report::Reporter*>(&text),
                                           static_cast<const report::Reporter*>(&markdown),
                                           static_cast<const report::Reporter*>(&html)}) {
    (void)reporter->render(*document, &summary);
  }
  for (const char* format : {"console", "json", "csv", "markdown", "hyperfine"}) {
    auto reporter = report::make_reporter(format);
    (void)reporter->render(*document, &summary);
    (void)reporter->render(*document, nullptr);
  }

  compare::GateOptions gate;
  gate.bootstrap.resamples = 50;
  auto result = compare::compare_sessions(*document, *document, gate);
  if (result) {
    const compare::GateSources sources{"base.json", "current.json"};
    (void)compare::render_gate_text(*result, sources);
    (void)compare::render_gate_markdown(*result, sources);
    (void)compare::to_json(*result, sources).dump();
  }
  return 0;
}
