#pragma once
// The study table: one row per config (a command of the session) with how it
// ran (isolation, limits, threads, env, cache state) and what it measured
// (cold-start phases, steady latency, peak RSS, throttling, oversubscription).
// Built once; the console, Markdown and HTML reports all print these rows.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "report/summary.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::report {

// The phase whose end time is reported as "time to first inference".
inline constexpr const char* kFirstInferencePhase = "first_inference";
// The metric pooled into the steady-latency columns.
inline constexpr const char* kLatencyMetric = "latency";

struct StudyRow {
  std::string config;
  int measured_runs = 0;
  int succeeded_runs = 0;

  // How it ran (from the run records: limits, isolation, residency, labels, info).
  std::string isolation;  // host | sandbox | docker | podman
  std::optional<double> cpus;
  std::string cpuset;
  std::optional<int64_t> memory_bytes;
  std::string affinity;
  std::optional<int> effective_cpus;  // from the limits; the host's online CPUs when unlimited
  bool effective_cpus_from_host = false;
  std::optional<int> compute_threads;   // info torch.num_threads / compute_threads, else --threads,
                                        // else label "threads"
  std::optional<int> interop_threads;   // info torch.num_interop_threads
  std::vector<std::string> env;         // KEY=VALUE: labels "env.KEY", else the session's --env
  std::vector<std::string> parameters;  // the other labels (a sweep's matrix axes...), key=value
  std::string cache_mode;  // none, warm, cold, drop: from residency snapshots, else label "cache"
  std::optional<double> residency_percent;  // median, tracked bytes resident before each run

  // What it measured (successful measured runs).
  std::map<std::string, stats::Summary> phases;           // duration per phase name
  std::optional<stats::Summary> time_to_first_inference;  // end of kFirstInferencePhase
  stats::Summary wall;
  std::optional<stats::Summary> latency;  // kLatencyMetric, pooled over runs
  std::string latency_unit;
  std::optional<double> peak_rss_kb;           // median of the runs' max RSS
  std::optional<double> memory_peak_bytes;     // median cgroup memory peak
  std::optional<double> throttled_fraction;    // median of throttled / total CFS periods
  std::optional<double> throttled_ms;          // median throttled time per run
  std::optional<double> involuntary_switches;  // median per run

  // More compute threads than effective CPUs (the summary's finding, with its evidence).
  std::optional<Oversubscription> oversubscription;
  bool oversubscribed() const { return oversubscription.has_value(); }
};

// Rows as text cells, for one table renderer or another.
struct StudyGrid {
  struct Group {
    std::string title;
    int columns = 0;
  };
  std::vector<Group> groups;  // consecutive column groups (HTML header row)
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

struct StudyTable {
  std::vector<std::string> phase_names;  // every phase seen, in the order they happen
  std::vector<StudyRow> rows;            // in the session's command order

  StudyGrid setup_grid() const;  // config, runs, isolation, limits, threads, env, parameters, cache
  StudyGrid results_grid()
      const;  // config, phases, to first inference, wall, latency, RSS, throttling, oversubscribed
};

StudyTable build_study_table(const ResultsDocument& document, const SessionSummary& summary);

// Cell texts shared by the grids (also used by tests and the HTML page).
std::string format_limits(
    const StudyRow& row);  // "cpus 1, cpuset 0-1, mem 2 GiB, affinity 0" or "-"
std::string format_threads(const StudyRow& row);  // "8 / 1" (compute / interop), "?" where unknown
std::string format_cache(const StudyRow& row);    // "cold, 3.2 % resident"
std::string format_throttling(const StudyRow& row);        // "45 % of periods, 812 ms"
std::string format_oversubscription(const StudyRow& row);  // "YES: 8 threads > 1 CPU", "no", "?"

// The session's comparisons (each config against the first), one row per
// quantity: ratio with its coverage, corrected p, detectable effect, verdict.
StudyGrid comparisons_grid(const SessionSummary& summary);

nlohmann::json to_json(const StudyRow& row);

}  // namespace coldbench::report
