#pragma once
// Collects one run's markers (fd lines, "@coldbench " stdout lines) and regex
// matches on its output, and turns them into the run record's phases, metrics
// and info.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.hpp"
#include "markers/marker_parser.hpp"
#include "markers/rules.hpp"

namespace coldbench::markers {

class RunMarkers {
 public:
  explicit RunMarkers(const std::vector<RegexRule>* rules);

  void on_marker_line(std::string_view line);
  // Returns false when the line was a "@coldbench " marker (hide it from output).
  bool on_output_line(std::string_view line, int64_t received_ns);

  // Phases in time order with durations measured from `spawn_ns` (the
  // harness's CLOCK_MONOTONIC reading just before spawn), metrics, info and
  // the malformed count.
  void fill(RunRecord& record, int64_t spawn_ns) const;

  int malformed() const { return malformed_; }
  const std::string& last_problem() const { return last_problem_; }

 private:
  void accept(const Marker& marker);
  void add_phase(const std::string& name, int64_t t_ns, PhaseSource source);
  void reject(std::string why);

  struct TimedPhase {
    std::string name;
    int64_t t_ns;
    PhaseSource source;
  };

  const std::vector<RegexRule>* rules_;
  std::vector<TimedPhase> phases_;
  std::vector<MetricRecord> metrics_;
  std::map<std::string, nlohmann::json> info_;
  int malformed_ = 0;
  std::string last_problem_;
};

}  // namespace coldbench::markers
