#include "markers/marker_parser.hpp"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "core/json_text.hpp"

namespace coldbench::markers {
namespace {

std::optional<Marker> fail(std::string* why, std::string message) {
  if (why) *why = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> marker_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxNameBytes) return fmt::format("is longer than {} bytes", kMaxNameBytes);
  for (unsigned char c : name) {
    if (c < 0x20) return std::string("contains a control character");
  }
  return std::nullopt;
}

std::optional<Marker> parse_marker_line(std::string_view line, std::string* why) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return fail(why, "empty line");
  auto parsed = parse_json_bounded(line, kMaxMarkerDepth);
  if (!parsed) {
    const std::string& message = parsed.error().message;
    return fail(why, message.rfind("nested", 0) == 0 ? message + " (the marker protocol's limit)" : message);
  }
  nlohmann::json& j = *parsed;
  if (!j.is_object()) return fail(why, "not a JSON object");

  auto version = j.find("v");
  if (version == j.end() || !version->is_number_integer()) return fail(why, "missing integer \"v\"");
  if (version->get<int64_t>() != 1) return fail(why, "unsupported protocol version " + json_text(*version));

  auto t = j.find("t");
  if (t == j.end() || !t->is_number()) return fail(why, "missing numeric \"t\" (CLOCK_MONOTONIC ns)");
  double t_value = t->get<double>();
  if (!std::isfinite(t_value) || t_value < 0) return fail(why, "\"t\" must be a non-negative number");
  // Beyond int64 an unsigned integer would wrap and a double would not convert.
  bool fits = t->is_number_unsigned() ? t->get<uint64_t>() <= uint64_t{INT64_MAX} : t_value < 0x1p63;
  if (!fits) return fail(why, "\"t\" is out of range for CLOCK_MONOTONIC ns");

  auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string()) return fail(why, "missing string \"kind\"");
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || marker_name_problem(name->get_ref<const std::string&>())) {
    return fail(why, "missing or invalid \"name\"");
  }

  Marker marker;
  marker.t_ns = t->is_number_integer() ? t->get<int64_t>() : static_cast<int64_t>(t_value);
  const std::string kind_text = kind->get<std::string>();
  if (kind_text == "phase") {
    marker.kind = MarkerKind::Phase;
    marker.phase = PhaseMarker{name->get<std::string>(), marker.t_ns};
  } else if (kind_text == "metric") {
    marker.kind = MarkerKind::Metric;
    marker.metric.name = name->get<std::string>();
    if (auto unit = j.find("unit"); unit != j.end()) {
      if (!unit->is_string()) return fail(why, "\"unit\" must be a string");
      marker.metric.unit = unit->get<std::string>();
    }
    auto values = j.find("values");
    if (values == j.end()) values = j.find("value");  // a single value is accepted too
    if (values == j.end()) return fail(why, "metric without \"values\"");
    if (values->is_number()) {
      marker.metric.values.push_back(values->get<double>());
    } else if (values->is_array()) {
      for (const auto& v : *values) {
        if (v.is_number()) {
          marker.metric.values.push_back(v.get<double>());
        } else if (!v.is_null()) {
          return fail(why, "metric values must be numbers");
        }
      }
    } else {
      return fail(why, "metric \"values\" must be a number or an array of numbers");
    }
  } else if (kind_text == "info") {
    marker.kind = MarkerKind::Info;
    auto value = j.find("value");
    if (value == j.end()) return fail(why, "info without \"value\"");
    const std::size_t bytes = json_text(*value).size();
    if (bytes > kMaxInfoValueBytes) {
      return fail(why, fmt::format("info value is {} bytes serialised, more than the limit of {} KiB", bytes,
                                   kMaxInfoValueBytes / 1024));
    }
    marker.info = InfoMarker{name->get<std::string>(), std::move(*value), bytes};
  } else {
    return fail(why, "unknown kind \"" + kind_text + "\" (phase, metric or info)");
  }
  return marker;
}

}  // namespace coldbench::markers
