#pragma once
// Where `coldbench report` and `coldbench compare` get their runs from: a
// results file (schema coldbench/1) or a history session (src/store/). One
// function, so every subcommand accepts the same references.

#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/record.hpp"

namespace coldbench::report {

// `ref` is a path to a coldbench/1 JSON file (an existing file, or anything
// with a '/' or '.'), else a history session id or "latest" in the database
// at `history_db` (empty: the store's default, $COLDBENCH_DB or
// results/history.sqlite), or "study" / "host:NAME": a merged study across
// hosts (store/study.hpp). Errors (exit code 2) name what is wrong.
Expected<ResultsDocument> load_results(const std::string& ref, const std::string& history_db = "");

// Reads and checks one results file.
Expected<ResultsDocument> load_results_file(const std::string& path);

// Checks the text of a results file; `source` names it in errors.
Expected<ResultsDocument> parse_results_text(std::string_view text, const std::string& source);

}  // namespace coldbench::report
