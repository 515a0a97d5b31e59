#pragma once
// The study table (analysis/study.hpp: one row per config, built once) as
// grids of text cells, which the console, Markdown and HTML reports print.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/study.hpp"
#include "analysis/summary.hpp"

namespace coldbench::report {

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

// The table's two parts as grids.
StudyGrid setup_grid(const analysis::StudyTable& table);  // config, runs, isolation, limits, threads, env, parameters, cache
// config, phases, to first inference, wall, latency, RSS, throttling, oversubscribed
StudyGrid results_grid(const analysis::StudyTable& table);

// Cell texts shared by the grids (also used by tests and the HTML page).
std::string format_limits(const analysis::StudyRow& row);  // "cpus 1, cpuset 0-1, mem 2 GiB, affinity 0" or "-"
std::string format_threads(const analysis::StudyRow& row);  // "8 / 1" (compute / interop), "?" where unknown
std::string format_cache(const analysis::StudyRow& row);    // "cold, 3.2 % resident"
std::string format_throttling(const analysis::StudyRow& row);        // "45 % of periods, 812 ms"
std::string format_oversubscription(const analysis::StudyRow& row);  // "YES: 8 threads > 1 CPU", "no", "?"

// The session's comparisons (each config against the first), one row per
// quantity: ratio with its coverage, corrected p, detectable effect, verdict.
StudyGrid comparisons_grid(const analysis::SessionSummary& summary);

nlohmann::json to_json(const analysis::StudyRow& row);

}  // namespace coldbench::report
