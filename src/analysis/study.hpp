#pragma once
// The study table's rows: one per config (a command of the session) with how
// it ran (isolation, limits, threads, env, cache state) and what it measured
// (cold-start phases, steady latency, peak RSS, throttling, oversubscription).
// Built once here; report/study_table.hpp turns the rows into the grids the
// console, Markdown and HTML reports print.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/summary.hpp"
#include "core/record.hpp"
#include "stats/descriptive.hpp"

namespace coldbench::analysis {

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
  std::optional<int> compute_threads;   // info marker::kInfoTorchNumThreads / kInfoComputeThreads, else --threads,
                                        // else label "threads"
  std::optional<int> interop_threads;   // info marker::kInfoTorchNumInteropThreads
  std::vector<std::string> env;         // KEY=VALUE: labels "env.KEY", else the session's --env
  std::vector<std::string> parameters;  // the other labels (a sweep's matrix axes...), key=value
  std::string cache_mode;  // none, warm, cold, drop: from residency snapshots, else label "cache"
  std::optional<double> residency_percent;  // median, tracked bytes resident before each run

  // What it measured (successful measured runs).
  std::map<std::string, stats::Summary> phases;           // duration per phase name
  std::optional<stats::Summary> time_to_first_inference;  // end of marker::kPhaseFirstInference
  stats::Summary wall;
  std::optional<stats::Summary> latency;  // marker::kMetricLatency, pooled over runs
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

struct StudyTable {
  std::vector<std::string> phase_names;  // every phase seen, in the order they happen
  std::vector<StudyRow> rows;            // in the session's command order
};

StudyTable build_study_table(const ResultsDocument& document, const SessionSummary& summary);

}  // namespace coldbench::analysis
