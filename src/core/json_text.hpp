#pragma once
// The one way coldbench turns JSON into text and text from outside into JSON.
// json_text never throws: a string that is not valid UTF-8 (a byte a workload
// wrote that slipped past core/utf8.hpp) is written with U+FFFD instead of
// aborting the harness. parse_json_bounded refuses deep nesting without
// recursion, because copying or printing a deep value recurses.

#include <cmath>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/expected.hpp"

namespace coldbench {

// Serialises `value` (indent < 0: one line). Header-only: coldbench-torch uses it too.
inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

// The same for an object that keeps its keys in insertion order (serve's log
// lines and snapshots put `timestamp` and `event` first for people reading them).
inline std::string json_text(const nlohmann::ordered_json& value, int indent = -1) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false,
                    nlohmann::ordered_json::error_handler_t::replace);
}

// A number as JSON: null where it is NaN or infinite (JSON has neither).
inline nlohmann::json finite_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

// How deep any JSON coldbench reads back may nest (results files, history
// records): a marker's info value (64 levels) inside a run inside a document,
// with room to spare.
inline constexpr int kMaxStoredJsonDepth = 128;

// Parses `text` as exactly one JSON value whose arrays and objects nest at
// most `max_depth` levels (the outermost is level 1). Errors: "not valid JSON
// (parse error at line 1, column N: ...)" or "nested deeper than N levels".
Expected<nlohmann::json> parse_json_bounded(std::string_view text, int max_depth);

}  // namespace coldbench
