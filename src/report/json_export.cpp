#include "core/record_json.hpp"
#include "report/formats.hpp"

namespace coldbench::report {

std::optional<std::string> JsonReporter::render(const ResultsDocument& document,
                                                const SessionSummary* summary) const {
  nlohmann::json j = to_json(document);
  j["summary"] = summary ? to_json(*summary) : nlohmann::json(nullptr);
  return j.dump(2) + "\n";
}

}  // namespace coldbench::report
