#include "core/record_json.hpp"
#include "report/formats.hpp"

namespace coldbench::report {

// While the session runs: the pretty header, then one run per line,
//   "runs": [
//     {...},
//     {...}
//   ],
// so a run is appended in place; at the end the whole document, summary
// included, is written pretty.
std::optional<AppendLayout> JsonReporter::append_layout(const ResultsDocument& document) const {
  nlohmann::json j = document_header_json(document);
  j["runs"] = nlohmann::json::array();
  j["summary"] = nullptr;
  std::string text = j.dump(2) + "\n";
  const std::string_view key = "\n  \"runs\": []";
  std::size_t at = text.find(key);
  if (at == std::string::npos) return std::nullopt;  // cannot happen: "runs" is a top-level key
  std::size_t open = at + key.size() - 1;              // just after '['
  return AppendLayout{text.substr(0, open), ",", "\n  " + text.substr(open), {}};
}

std::string JsonReporter::render_run(const AppendLayout&, const RunRecord& run) const {
  return "\n    " + to_json(run).dump();
}

std::optional<std::string> JsonReporter::render(const ResultsDocument& document,
                                                const SessionSummary* summary) const {
  if (!summary) {
    if (auto layout = append_layout(document)) return fill_layout(*this, *layout, document);
  }
  nlohmann::json j = to_json(document);
  j["summary"] = summary ? to_json(*summary) : nlohmann::json(nullptr);
  return j.dump(2) + "\n";
}

}  // namespace coldbench::report
