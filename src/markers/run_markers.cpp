#include "markers/run_markers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "core/clock.hpp"

namespace coldbench::markers {
namespace {

// A marker time this far from the run is not CLOCK_MONOTONIC (e.g. a
// workload that used time.time()); it is counted as malformed.
constexpr int64_t kMaxSkewNs = 24LL * 3600 * 1'000'000'000;

}  // namespace

RunMarkers::RunMarkers(const std::vector<RegexRule>* rules) : rules_(rules) {}

void RunMarkers::reject(std::string why) {
  ++malformed_;
  last_problem_ = std::move(why);
}

void RunMarkers::on_marker_line(std::string_view line) {
  std::string why;
  auto marker = parse_marker_line(line, &why);
  if (!marker) {
    reject(why);
    return;
  }
  accept(*marker);
}

bool RunMarkers::on_output_line(std::string_view line, int64_t received_ns) {
  if (line.substr(0, kStdoutPrefix.size()) == kStdoutPrefix) {
    on_marker_line(line.substr(kStdoutPrefix.size()));
    return false;
  }
  if (rules_ && !rules_->empty()) {
    std::string text(line);
    for (const auto& rule : *rules_) {
      std::smatch match;
      if (!std::regex_search(text, match, rule.regex)) continue;
      if (rule.kind == RuleKind::Phase) {
        add_phase(rule.name, received_ns, PhaseSource::Regex);
        continue;
      }
      std::string captured = match[1].str();
      char* end = nullptr;
      double value = std::strtod(captured.c_str(), &end);
      // strtod also reads "nan", "inf" and overflows to inf: not measurements.
      if (captured.empty() || end != captured.c_str() + captured.size() || !std::isfinite(value)) {
        reject(fmt::format("--metric {}: captured '{}' is not a number", rule.name, captured));
        continue;
      }
      auto it = std::find_if(metrics_.begin(), metrics_.end(), [&](const auto& m) { return m.name == rule.name; });
      if (it == metrics_.end()) {
        metrics_.push_back(MetricRecord{rule.name, "", {value}});
      } else {
        it->values.push_back(value);
      }
    }
  }
  return true;
}

void RunMarkers::accept(const Marker& marker) {
  switch (marker.kind) {
    case MarkerKind::Phase:
      add_phase(marker.phase.name, marker.t_ns, PhaseSource::Marker);
      break;
    case MarkerKind::Metric: {
      auto it = std::find_if(metrics_.begin(), metrics_.end(),
                             [&](const auto& m) { return m.name == marker.metric.name; });
      if (it == metrics_.end()) {
        metrics_.push_back(MetricRecord{marker.metric.name, marker.metric.unit, marker.metric.values});
      } else {  // a metric may arrive in several chunks
        it->values.insert(it->values.end(), marker.metric.values.begin(), marker.metric.values.end());
        if (it->unit.empty()) it->unit = marker.metric.unit;
      }
      break;
    }
    case MarkerKind::Info:
      info_[marker.info.name] = marker.info.value;
      break;
  }
}

void RunMarkers::add_phase(const std::string& name, int64_t t_ns, PhaseSource source) {
  for (const auto& p : phases_) {
    if (p.name != name) continue;
    // A regex phase marks the FIRST matching line; a repeated marker is a protocol error.
    if (source == PhaseSource::Marker) reject(fmt::format("phase \"{}\" reported twice; the first is kept", name));
    return;
  }
  phases_.push_back(TimedPhase{name, t_ns, source});
}

void RunMarkers::fill(RunRecord& record, int64_t spawn_ns) const {
  int malformed = malformed_;
  std::vector<TimedPhase> ordered;
  for (const auto& p : phases_) {
    // Before the spawn (e.g. "t":0) or far after it (time.time()): not this
    // run's CLOCK_MONOTONIC, so it cannot be placed on its timeline.
    if (p.t_ns < spawn_ns || p.t_ns > spawn_ns + kMaxSkewNs) {
      ++malformed;
      continue;
    }
    ordered.push_back(p);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.t_ns < b.t_ns; });
  int64_t previous = spawn_ns;
  record.phases.clear();
  for (const auto& p : ordered) {
    PhaseRecord phase;
    phase.name = p.name;
    phase.end_ms = double(p.t_ns - spawn_ns) / 1e6;
    phase.duration_ms = double(p.t_ns - previous) / 1e6;
    phase.source = p.source;
    previous = p.t_ns;
    record.phases.push_back(std::move(phase));
  }
  record.metrics = metrics_;
  record.info = info_;
  record.malformed_markers = malformed;
}

}  // namespace coldbench::markers
