#pragma once
// Collects one run's markers (fd lines, "@coldbench " stdout lines) and regex
// matches on its output, and turns them into the run record's phases, metrics
// and info.
//
// The harness's own work must stay out of the measurement: marker lines are
// only stored while the run goes on (a copy, no parsing) and parsed in
// batches, at the latest when the run has ended. Every marker costs O(1)
// expected work (names are indexed by hash), and a run keeps at most
// kMaxDistinctNames names of each kind; markers beyond are malformed and the
// run carries a warning.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/record.hpp"
#include "markers/marker_parser.hpp"
#include "markers/rules.hpp"

namespace coldbench::markers {

// Distinct phase names, metric names and info names (each) one run may report.
// Every phase and metric name costs a summary (intervals, comparisons with
// their power model) and a row in every table; real workloads report tens.
inline constexpr std::size_t kMaxDistinctNames = 1'000;
// What one run's info values may hold together, serialised (1 MiB): with the
// per-value limit alone, 1,000 names could keep 64 MB per run in memory and in every export.
inline constexpr std::size_t kMaxInfoBytesPerRun = 1024 * 1024;
// Marker text stored before it is parsed during the run (a line is never split).
inline constexpr std::size_t kParseBatchBytes = 16 * 1024 * 1024;

class RunMarkers {
 public:
  explicit RunMarkers(const std::vector<RegexRule>* rules);

  void on_marker_line(std::string_view line);
  // Returns false when the line was a "@coldbench " marker (hide it from output).
  bool on_output_line(std::string_view line, int64_t received_ns);

  // Phases in time order with durations measured from `spawn_ns` (the
  // harness's CLOCK_MONOTONIC reading just before spawn), metrics, info, the
  // malformed count and warnings: a limit was reached, the first malformed
  // line's problem, or (given the run's `wall_ms`) regex rules that cost the
  // harness a noticeable share of the run while it went on.
  void fill(RunRecord& record, int64_t spawn_ns, double wall_ms = 0);

  // These parse what is still stored first.
  int malformed();
  const std::string& last_problem();

  // Hash-table entries compared while looking names up, over all markers so
  // far: stays proportional to the number of markers (tests check linearity with it).
  std::size_t entries_examined() const { return entries_examined_; }
  // Harness time spent matching --phase/--metric rules, while the run went on.
  double rule_matching_ms() const { return double(rule_ns_) / 1e6; }

 private:
  enum NameKind { kPhase = 0, kMetric = 1, kInfo = 2 };

  void parse_stored();
  void accept(Marker&& marker);
  void add_phase(const std::string& name, int64_t t_ns, PhaseSource source);
  void add_info(InfoMarker&& info);
  void add_metric_values(const std::string& name, const std::string& unit, std::vector<double> values);
  // The slot of `name` among the names of `kind` (phases and metrics: their
  // index; info: the size of its value); a new name gets `initial` (and
  // `added`) while the cap allows, otherwise the marker is rejected: nullptr.
  std::size_t* slot_of(NameKind kind, const std::string& name, std::size_t initial, bool& added);
  void reject(std::string why, bool cap = false);

  struct TimedPhase {
    std::string name;
    int64_t t_ns;
    PhaseSource source;
  };

  const std::vector<RegexRule>* rules_;
  std::vector<bool> phase_rule_matched_;  // a regex phase ends at its first matching line
  std::string stored_;  // marker lines not parsed yet, each ending in '\n'
  std::vector<TimedPhase> phases_;
  std::vector<MetricRecord> metrics_;
  std::map<std::string, nlohmann::json> info_;
  std::array<std::unordered_map<std::string, std::size_t>, 3> names_;  // per NameKind: name -> slot
  std::size_t info_bytes_ = 0;  // the current info values, serialised
  std::array<bool, 3> capped_{};
  std::size_t entries_examined_ = 0;
  int64_t rule_ns_ = 0;
  int malformed_ = 0;
  std::string first_problem_;  // of a line rejected for itself, not for the name cap
  std::string last_problem_;
};

}  // namespace coldbench::markers
