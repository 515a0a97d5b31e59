#pragma once
// A hand-built session for the report tests: three commands with known wall
// times and phases, a warmup and a failed run.

#include <string>
#include <vector>

#include "core/record.hpp"

namespace coldbench::report::fixtures {

inline RunRecord sample_run(int command_index, const std::string& command, int index,
                            double wall_ms) {
  RunRecord run;
  run.command = command;
  run.command_index = command_index;
  run.index = index;
  run.started_at = "2026-11-24T10:00:00.000Z";
  run.wall_ms = wall_ms;
  run.exit_code = 0;
  run.usage.user_ms = wall_ms / 2;
  run.usage.system_ms = 3;
  run.usage.max_rss_kb = 20480;
  return run;
}

// base: wall 100..105 ms, phases load (20 ms) then compute; metric lat (ms).
// slow: wall 200..205 ms, the same phases; fast: wall 50..55 ms, no phases.
// base also has a warmup (wall 500) and a failed measured run (index 6).
inline ResultsDocument sample_document() {
  ResultsDocument doc;
  doc.tool_version = "0.1.0";
  doc.started_at = "2026-11-24T10:00:00.000Z";
  doc.finished_at = "2026-11-24T10:01:00.000Z";
  doc.host = HostInfo{"testhost", "Linux", "Test CPU", 8, int64_t{16} << 30};
  doc.commands = {CommandSpec{"base", "python3 base.py", {"python3", "base.py"}, false},
                  CommandSpec{"slow", "slow", {"slow"}, false},
                  CommandSpec{"fast", "fast", {"fast"}, false}};
  int sequence = 0;
  RunRecord warmup = sample_run(0, "base", 0, 500);
  warmup.warmup = true;
  warmup.sequence = sequence++;
  doc.runs.push_back(warmup);
  for (int i = 0; i < 6; ++i) {
    for (int c = 0; c < 3; ++c) {
      static const char* kNames[] = {"base", "slow", "fast"};
      static const double kBase[] = {100, 200, 50};
      RunRecord run = sample_run(c, kNames[c], i, kBase[c] + i);
      run.sequence = sequence++;
      if (c < 2) {
        double load = c == 0 ? 20 : 40;
        // Listed out of time order on purpose: reporters order by end time.
        run.phases = {
            PhaseRecord{"compute", run.wall_ms - 5, run.wall_ms - 5 - load, PhaseSource::Marker},
            PhaseRecord{"load", load, load, PhaseSource::Marker}};
      }
      if (c == 0) run.metrics = {MetricRecord{"lat", "ms", {1.0 + i, 2.0 + i}}};
      doc.runs.push_back(run);
    }
  }
  RunRecord failed = sample_run(0, "base", 6, 5000);
  failed.sequence = sequence++;
  failed.exit_code = 1;
  failed.error = "exited with code 1";
  failed.output_tail = "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n";
  failed.phases = {PhaseRecord{"load", 4000, 4000, PhaseSource::Marker}};
  failed.metrics = {MetricRecord{"lat", "ms", {9999}}};
  failed.malformed_markers = 2;
  doc.runs.push_back(failed);
  return doc;
}

}  // namespace coldbench::report::fixtures
