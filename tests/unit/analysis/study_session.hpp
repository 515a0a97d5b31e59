#pragma once
// A study session for the analysis and report tests: two configs as a sweep
// records them.

#include "core/record.hpp"

namespace coldbench::analysis::fixtures {

// Two configs as a sweep records them: "host" unrestricted with 2 threads on
// a 4-CPU host, "quota1-t8" with a 1-CPU quota and 8 threads (oversubscribed).
inline ResultsDocument study_session() {
  ResultsDocument doc;
  doc.host.hostname = "edge";
  doc.host.cpu_model = "Test CPU";
  doc.host.online_cpus = 4;
  doc.started_at = "2026-01-01T00:00:00Z";
  doc.commands = {{"host", "infer", {"infer"}, false}, {"quota1-t8", "infer", {"infer"}, false}};
  int sequence = 0;
  for (int i = 0; i < 6; ++i) {
    for (int c = 0; c < 2; ++c) {
      RunRecord run;
      run.command = doc.commands[c].name;
      run.command_index = c;
      run.index = i;
      run.sequence = sequence++;
      double scale = c == 0 ? 1.0 : 2.0;
      double ready = 100 * scale + i, loaded = ready + 40 * scale, first = loaded + 10 * scale;
      run.phases = {{"runtime_ready", ready, ready},
                    {"model_loaded", loaded, loaded - ready},
                    {"first_inference", first, first - loaded}};
      run.wall_ms = first + 50;
      run.metrics.push_back(
          {"latency", "ms", {5.0 * scale, 5.5 * scale, 6.0 * scale, 9.0 * scale}});
      run.usage.max_rss_kb = 200 * 1024;
      run.usage.involuntary_switches = c == 0 ? 3 : 400;
      run.info["torch.num_threads"] = c == 0 ? 2 : 8;
      run.info["torch.num_interop_threads"] = 1;
      run.residency = ResidencySnapshot{"cold", 10, 1000, 20, {}};
      run.labels = {{"mode", "script"},
                    {"config", doc.commands[c].name},
                    {"cache", "cold"},
                    {"env.OMP_NUM_THREADS", c == 0 ? "2" : "8"}};
      if (c == 1) {
        run.isolation = "sandbox";
        run.limits = AppliedLimits{1.0, "", int64_t{2} << 30, "", 1, "8", "v2"};
        run.cgroup =
            CgroupStats{150.0, int64_t{100}, int64_t{40}, 300.0, int64_t{300} << 20, int64_t{0}};
      }
      doc.runs.push_back(std::move(run));
    }
  }
  return doc;
}

// One config "plain" of three runs with no thread info, and `FOO=1` only in
// the session's options (the fallback when a config sets no env of its own).
inline ResultsDocument plain_session() {
  ResultsDocument doc;
  doc.options = {{"env", {"FOO=1"}}};
  doc.commands = {{"plain", "true", {"true"}, false}};
  for (int i = 0; i < 3; ++i) {
    RunRecord run;
    run.command = "plain";
    run.index = i;
    run.wall_ms = 10 + i;
    doc.runs.push_back(run);
  }
  return doc;
}

}  // namespace coldbench::analysis::fixtures
