#include "markers/run_markers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/utf8.hpp"

namespace coldbench::markers {
namespace {

// A marker time this far from the run is not CLOCK_MONOTONIC (e.g. a
// workload that used time.time()); it is counted as malformed.
constexpr int64_t kMaxSkewNs = 24LL * 3600 * 1'000'000'000;

// A reason is kept for the run's warnings; a rejected line may be megabytes.
constexpr std::size_t kMaxProblemBytes = 300;

constexpr std::array<const char*, 3> kKindNames = {"phase", "metric", "info"};

// Regex matching above both of these, within one run, is worth a warning.
constexpr double kRuleCostWarningMs = 20;
constexpr double kRuleCostWarningShare = 0.05;

// `text` (output or a capture) shortened and made printable for a problem message.
std::string quoted_excerpt(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out = replace_invalid_utf8(utf8_prefix(text, kMax));
  return text.size() > kMax ? out + "..." : out;
}

}  // namespace

RunMarkers::RunMarkers(const std::vector<RegexRule>* rules)
    : rules_(rules), phase_rule_matched_(rules ? rules->size() : 0, false) {}

void RunMarkers::reject(std::string why, bool cap) {
  ++malformed_;
  if (why.size() > kMaxProblemBytes) why = std::string(utf8_prefix(why, kMaxProblemBytes)) + "...";
  if (!cap && first_problem_.empty()) first_problem_ = why;
  last_problem_ = std::move(why);
}

void RunMarkers::on_marker_line(std::string_view line) {
  // Stored, not parsed: parsing while the workload runs could make it wait on a full pipe.
  stored_.append(line);
  stored_.push_back('\n');
  if (stored_.size() >= kParseBatchBytes) parse_stored();
}

void RunMarkers::parse_stored() {
  std::string_view text = stored_;
  std::string why;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    auto marker = parse_marker_line(text.substr(0, end), &why);
    if (marker) {
      accept(std::move(*marker));
    } else {
      reject(why);
    }
    text.remove_prefix(end + 1);
  }
  stored_.clear();
}

int RunMarkers::malformed() {
  parse_stored();
  return malformed_;
}

const std::string& RunMarkers::last_problem() {
  parse_stored();
  return last_problem_;
}

bool RunMarkers::on_output_line(std::string_view line, int64_t received_ns) {
  if (line.substr(0, kStdoutPrefix.size()) == kStdoutPrefix) {
    on_marker_line(line.substr(kStdoutPrefix.size()));
    return false;
  }
  if (!rules_ || rules_->empty()) return true;
  // Rules see the line as the record would keep it: in UTF-8 mode RE2's '.'
  // and classes do not match bytes that are not UTF-8, U+FFFD they do.
  const int64_t start_ns = monotonic_ns();
  std::string repaired;
  if (!is_valid_utf8(line)) {
    repaired = replace_invalid_utf8(line);
    line = repaired;
  }
  for (std::size_t i = 0; i < rules_->size(); ++i) {
    const RegexRule& rule = (*rules_)[i];
    if (rule.kind == RuleKind::Phase) {
      if (phase_rule_matched_[i] || !rule.matches(line)) continue;
      phase_rule_matched_[i] = true;
      parse_stored();  // markers that came before this line are applied before it
      add_phase(rule.name, received_ns, PhaseSource::Regex);
      continue;
    }
    auto group = rule.first_group(line);
    if (!group) continue;
    parse_stored();
    std::string captured(*group);
    char* end = nullptr;
    double value = std::strtod(captured.c_str(), &end);
    // strtod also reads "nan", "inf" and overflows to inf: not measurements.
    if (captured.empty() || end != captured.c_str() + captured.size() || !std::isfinite(value)) {
      reject(fmt::format("--metric {}: captured '{}' is not a number", rule.name, quoted_excerpt(captured)));
      continue;
    }
    add_metric_values(rule.name, "", {value});
  }
  rule_ns_ += monotonic_ns() - start_ns;
  return true;
}

std::size_t* RunMarkers::slot_of(NameKind kind, const std::string& name, std::size_t initial, bool& added) {
  auto& names = names_[kind];
  added = false;
  // The lookup walks the name's hash bucket itself, so the work it does is what entries_examined counts.
  if (names.bucket_count() > 0) {
    const std::size_t bucket = names.bucket(name);
    for (auto it = names.begin(bucket); it != names.end(bucket); ++it) {
      ++entries_examined_;
      if (it->first == name) return &it->second;
    }
  }
  if (names.size() >= kMaxDistinctNames) {
    capped_[kind] = true;
    reject(fmt::format("more than {} distinct {} names in one run", kMaxDistinctNames, kKindNames[kind]),
           /*cap=*/true);
    return nullptr;
  }
  added = true;
  return &names.emplace(name, initial).first->second;
}

void RunMarkers::accept(Marker&& marker) {
  switch (marker.kind) {
    case MarkerKind::Phase:
      add_phase(marker.phase.name, marker.t_ns, PhaseSource::Marker);
      break;
    case MarkerKind::Metric:
      add_metric_values(marker.metric.name, marker.metric.unit, std::move(marker.metric.values));
      break;
    case MarkerKind::Info:
      add_info(std::move(marker.info));
      break;
  }
}

void RunMarkers::add_info(InfoMarker&& info) {
  bool added = false;
  std::size_t* current_bytes = slot_of(kInfo, info.name, 0, added);
  if (!current_bytes) return;
  const std::size_t total = info_bytes_ - *current_bytes + info.value_bytes;
  if (total > kMaxInfoBytesPerRun) {
    if (added) names_[kInfo].erase(info.name);
    reject(fmt::format("info \"{}\": the run's info values would total {} bytes, more than the limit of {} KiB",
                       info.name, total, kMaxInfoBytesPerRun / 1024));
    return;
  }
  info_bytes_ = total;
  *current_bytes = info.value_bytes;
  info_[info.name] = std::move(info.value);  // the last value per name wins
}

void RunMarkers::add_phase(const std::string& name, int64_t t_ns, PhaseSource source) {
  bool added = false;
  if (!slot_of(kPhase, name, phases_.size(), added)) return;
  if (!added) {
    // A regex phase marks the FIRST matching line; a repeated marker is a protocol error.
    if (source == PhaseSource::Marker) reject(fmt::format("phase \"{}\" reported twice; the first is kept", name));
    return;
  }
  phases_.push_back(TimedPhase{name, t_ns, source});
}

void RunMarkers::add_metric_values(const std::string& name, const std::string& unit, std::vector<double> values) {
  bool added = false;
  std::size_t* index = slot_of(kMetric, name, metrics_.size(), added);
  if (!index) return;
  if (added) {
    metrics_.push_back(MetricRecord{name, unit, std::move(values)});
    return;
  }
  MetricRecord& metric = metrics_[*index];  // a metric may arrive in several chunks
  metric.values.insert(metric.values.end(), values.begin(), values.end());
  if (metric.unit.empty()) metric.unit = unit;
}

void RunMarkers::fill(RunRecord& record, int64_t spawn_ns, double wall_ms) {
  parse_stored();
  int malformed = malformed_;
  std::string first_problem = first_problem_;
  std::vector<TimedPhase> ordered;
  ordered.reserve(phases_.size());
  for (const auto& p : phases_) {
    // Before the spawn (e.g. "t":0) or far after it (time.time()): not this
    // run's CLOCK_MONOTONIC, so it cannot be placed on its timeline.
    if (p.t_ns < spawn_ns || p.t_ns > spawn_ns + kMaxSkewNs) {
      ++malformed;
      if (first_problem.empty()) {
        first_problem = fmt::format("phase \"{}\": \"t\" is {} the run's start "
                                    "(not CLOCK_MONOTONIC nanoseconds?)", p.name,
                                    p.t_ns < spawn_ns ? "before" : "more than a day after");
      }
      continue;
    }
    ordered.push_back(p);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.t_ns < b.t_ns; });
  int64_t previous = spawn_ns;
  record.phases.clear();
  record.phases.reserve(ordered.size());
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
  for (int kind : {kPhase, kMetric, kInfo}) {
    if (!capped_[kind]) continue;
    record.warnings.push_back(fmt::format(
        "more than {} distinct {} names: markers with further names were dropped and counted as malformed "
        "(docs/marker-protocol.md, Limits)",
        kMaxDistinctNames, kKindNames[kind]));
  }
  if (!first_problem.empty()) record.warnings.push_back("first malformed marker: " + first_problem);
  // Matching runs while the workload writes: when it is slow, the workload may wait on a full pipe.
  const double matching_ms = rule_matching_ms();
  if (wall_ms > 0 && matching_ms > kRuleCostWarningMs && matching_ms > kRuleCostWarningShare * wall_ms) {
    record.warnings.push_back(fmt::format(
        "--phase/--metric rules took {:.0f} ms of harness time during this {:.0f} ms run; the workload may have "
        "waited for its output to be read (simpler patterns match faster)",
        matching_ms, wall_ms));
  }
}

}  // namespace coldbench::markers
