#pragma once
// Where `coldbench report` and `coldbench compare` get their runs from: a
// results file (schema coldbench/1) or a history session (src/store/). One
// function, so every subcommand accepts the same references.

#include <string>

#include "core/expected.hpp"
#include "core/record.hpp"

namespace coldbench::report {

// `ref` is a path to a coldbench/1 JSON file (an existing file, or anything
// with a '/' or '.'), else a history session id or "latest" in the database
// at `history_db` (empty: the store's default, $COLDBENCH_DB or
// results/history.sqlite). Errors (exit code 2) name what is wrong.
Expected<ResultsDocument> load_results(const std::string& ref, const std::string& history_db = "");

// Reads and checks one results file.
Expected<ResultsDocument> load_results_file(const std::string& path);

}  // namespace coldbench::report
