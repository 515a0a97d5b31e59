#include <set>

#include <fmt/format.h>

#include "report/formats.hpp"

namespace coldbench::report {
namespace {

// RFC 4180 quoting where needed.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

template <class T>
std::string optional_field(const std::optional<T>& value) {
  return value ? fmt::format("{}", *value) : std::string();
}

// Phase columns in first-seen order, so a partial file has the same layout.
std::vector<std::string> phase_columns(const ResultsDocument& document) {
  std::vector<std::string> phases;
  std::set<std::string> seen;
  for (const auto& run : document.runs) {
    for (const auto& p : run.phases) {
      if (seen.insert(p.name).second) phases.push_back(p.name);
    }
  }
  return phases;
}

}  // namespace

// The header names the phase columns seen so far; a run with a new phase
// changes it, and FileExport then rewrites the file.
std::optional<AppendLayout> CsvReporter::append_layout(const ResultsDocument& document) const {
  std::string header =
      "sequence,command,index,warmup,started_at,wall_ms,succeeded,exit_code,signal,timed_out,oom_killed,error,"
      "user_ms,system_ms,max_rss_kb,minor_faults,major_faults,voluntary_switches,involuntary_switches,"
      "malformed_markers,cgroup_cpu_usage_ms,cgroup_throttled_periods,cgroup_throttled_ms,cgroup_memory_peak_bytes,"
      "cache_mode,resident_bytes,tracked_bytes,load_1m_start,other_cpu_fraction,steal_fraction,iowait_fraction,"
      "cpu_freq_mhz";
  std::vector<std::string> phases = phase_columns(document);
  for (const auto& name : phases) header += "," + csv_field("phase." + name + "_ms");
  return AppendLayout{header + '\n', "", "", std::move(phases)};
}

std::string CsvReporter::render_run(const AppendLayout& layout, const RunRecord& run) const {
  const CgroupStats cg = run.cgroup.value_or(CgroupStats{});
  std::string out =
      fmt::format("{},{},{},{},{},{:.6f},{},{},{},{},{},{},{:.3f},{:.3f},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                  run.sequence, csv_field(run.command), run.index, run.warmup ? 1 : 0, run.started_at,
                  run.wall_ms, run.succeeded() ? 1 : 0, optional_field(run.exit_code),
                  optional_field(run.signal), run.timed_out ? 1 : 0, run.oom_killed ? 1 : 0,
                  csv_field(run.error), run.usage.user_ms, run.usage.system_ms, run.usage.max_rss_kb,
                  run.usage.minor_faults, run.usage.major_faults, run.usage.voluntary_switches,
                  run.usage.involuntary_switches, run.malformed_markers, optional_field(cg.cpu_usage_ms),
                  optional_field(cg.throttled_periods), optional_field(cg.throttled_ms),
                  optional_field(cg.memory_peak_bytes), run.residency ? run.residency->cache_mode : "",
                  run.residency ? fmt::format("{}", run.residency->resident_bytes) : "",
                  run.residency ? fmt::format("{}", run.residency->total_bytes) : "");
  const MachineNoise machine = run.machine.value_or(MachineNoise{});
  out += fmt::format(",{},{},{},{},{}", optional_field(machine.load_1m_start),
                     optional_field(machine.other_cpu_fraction), optional_field(machine.steal_fraction),
                     optional_field(machine.iowait_fraction), optional_field(machine.cpu_freq_mhz));
  for (const auto& name : layout.columns) {
    const PhaseRecord* p = run.phase(name);
    out += p ? fmt::format(",{:.6f}", p->duration_ms) : ",";
  }
  return out + '\n';
}

std::optional<std::string> CsvReporter::render(const ResultsDocument& document, const analysis::SessionSummary*) const {
  return fill_layout(*this, *append_layout(document), document);
}

}  // namespace coldbench::report
