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
};

struct Marker {
  MarkerKind kind = MarkerKind::Phase;
  int64_t t_ns = 0;
  PhaseMarker phase;
  MetricMarker metric;
  InfoMarker info;
};

// Parses one line (no trailing newline). On failure returns nullopt and, if
// `why` is given, says what was wrong ("missing \"name\"", "unsupported version 2").
std::optional<Marker> parse_marker_line(std::string_view line, std::string* why = nullptr);

}  // namespace coldbench::markers
