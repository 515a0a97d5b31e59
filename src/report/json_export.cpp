#include "core/json_text.hpp"
#include "core/record_json.hpp"
#include "report/formats.hpp"
#include "report/summary_json.hpp"

namespace coldbench::report {
namespace {

// The pretty document `j` (its "runs" empty) split where the runs go:
//   "runs": [
//     {...},
//     {...}
//   ],
// Runs stay one line each, also in the final file: pretty-printing indents
// every element of a nested info value, which multiplies its size by its depth.
std::optional<AppendLayout> layout_around_runs(nlohmann::json j) {
  j["runs"] = nlohmann::json::array();
  std::string text = json_text(j, 2) + "\n";
  const std::string_view key = "\n  \"runs\": []";
  std::size_t at = text.find(key);
  if (at == std::string::npos) return std::nullopt;  // cannot happen: "runs" is a top-level key
  std::size_t open = at + key.size() - 1;              // just after '['
  return AppendLayout{text.substr(0, open), ",", "\n  " + text.substr(open), {}};
}

}  // namespace

// While the session runs the summary is null; a run is appended in place.
std::optional<AppendLayout> JsonReporter::append_layout(const ResultsDocument& document) const {
  nlohmann::json j = document_header_json(document);
  j["summary"] = nullptr;
  return layout_around_runs(std::move(j));
}

std::string JsonReporter::render_run(const AppendLayout&, const RunRecord& run) const {
  return "\n    " + json_text(to_json(run));
}

std::optional<std::string> JsonReporter::render(const ResultsDocument& document,
                                                const analysis::SessionSummary* summary) const {
  nlohmann::json j = document_header_json(document);
  j["summary"] = summary ? to_json(*summary) : nlohmann::json(nullptr);
  if (auto layout = layout_around_runs(std::move(j))) return fill_layout(*this, *layout, document);
  nlohmann::json whole = to_json(document);
  whole["summary"] = summary ? to_json(*summary) : nlohmann::json(nullptr);
  return json_text(whole, 2) + "\n";
}

}  // namespace coldbench::report
