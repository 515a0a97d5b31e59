#pragma once
// Marker protocol v1 parsing (docs/marker-protocol.md): one JSON object per
// line, {"v":1,"t":<CLOCK_MONOTONIC ns>,"kind":"phase|metric|info","name":...}.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace coldbench::markers {

// A stdout line starting with this carries a marker (containers, no fd).
inline constexpr std::string_view kStdoutPrefix = "@coldbench ";

// What one marker may hold (docs/marker-protocol.md, "Limits"); beyond, the
// line is malformed. Deep values make copies and printing recurse, and a big
// info value would be copied into every export of every run.
inline constexpr int kMaxMarkerDepth = 64;                    // arrays/objects, the marker itself is level 1
inline constexpr std::size_t kMaxInfoValueBytes = 64 * 1024;  // an info value, serialised compactly
inline constexpr std::size_t kMaxNameBytes = 200;

enum class MarkerKind { Phase, Metric, Info };

struct PhaseMarker {
  std::string name;
  int64_t t_ns = 0;
};

struct MetricMarker {
  std::string name;
  std::string unit;
  std::vector<double> values;  // nulls (non-finite values) are skipped
};

struct InfoMarker {
  std::string name;
  nlohmann::json value;
  std::size_t value_bytes = 0;  // the value serialised compactly
};

struct Marker {
  MarkerKind kind = MarkerKind::Phase;
  int64_t t_ns = 0;
  PhaseMarker phase;
  MetricMarker metric;
  InfoMarker info;
};

// What is wrong with a phase, metric or info name ("is empty", "is longer
// than 200 bytes", "contains a control character"), or nullopt when it is fine.
std::optional<std::string> marker_name_problem(std::string_view name);

// Parses one line (no trailing newline). On failure returns nullopt and, if
// `why` is given, says what was wrong ("missing \"name\"", "unsupported version 2",
// "nested deeper than 64 levels"). Never recurses on the line's nesting.
std::optional<Marker> parse_marker_line(std::string_view line, std::string* why = nullptr);

}  // namespace coldbench::markers
