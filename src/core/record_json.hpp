#pragma once
// JSON form of the result model (schema "coldbench/1", docs/result-schema.md).

#include <nlohmann/json.hpp>

#include "core/expected.hpp"
#include "core/record.hpp"

namespace coldbench {

nlohmann::json to_json(const RunRecord& run);
nlohmann::json to_json(const CommandSpec& command);
nlohmann::json to_json(const HostInfo& host);
// The whole document without any summary; reporters add theirs.
nlohmann::json to_json(const ResultsDocument& document);
// The same without "runs": what stays put while a session adds runs.
nlohmann::json document_header_json(const ResultsDocument& document);

Expected<RunRecord> run_from_json(const nlohmann::json& j);
// Reads a document written by to_json; checks the schema tag.
Expected<ResultsDocument> document_from_json(const nlohmann::json& j);

}  // namespace coldbench
