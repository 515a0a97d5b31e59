#include "limits/cgroup_stat_files.hpp"

#include <signal.h>

#include <cctype>
#include <charconv>

#include "core/text.hpp"

namespace coldbench::limits {
namespace {

std::optional<int64_t> value_of(const std::map<std::string, int64_t>& values, const char* key) {
  auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

}  // namespace

std::map<std::string, int64_t> parse_flat_keyed(std::string_view text) {
  std::map<std::string, int64_t> values;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(start, end - start));
    start = end + 1;
    std::size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos) continue;
    if (auto number = parse_single_value(line.substr(space + 1)))
      values[std::string(line.substr(0, space))] = *number;
  }
  return values;
}

void apply_v2_cpu_stat(std::string_view text, CgroupStats& stats) {
  auto values = parse_flat_keyed(text);
  if (auto usage = value_of(values, "usage_usec")) stats.cpu_usage_ms = double(*usage) / 1e3;
  stats.periods = value_of(values, "nr_periods");
  stats.throttled_periods = value_of(values, "nr_throttled");
  if (auto throttled = value_of(values, "throttled_usec"))
    stats.throttled_ms = double(*throttled) / 1e3;
}

void apply_v1_cpu_stat(std::string_view text, CgroupStats& stats) {
  auto values = parse_flat_keyed(text);
  stats.periods = value_of(values, "nr_periods");
  stats.throttled_periods = value_of(values, "nr_throttled");
  if (auto throttled = value_of(values, "throttled_time"))
    stats.throttled_ms = double(*throttled) / 1e6;
}

void apply_v1_cpuacct_usage(std::string_view text, CgroupStats& stats) {
  if (auto usage = parse_single_value(text)) stats.cpu_usage_ms = double(*usage) / 1e6;
}

OomEvidence parse_v2_memory_events(std::string_view text) {
  OomEvidence evidence;
  evidence.oom_kills = value_of(parse_flat_keyed(text), "oom_kill");
  return evidence;
}

OomEvidence parse_v1_oom_control(std::string_view oom_control, std::string_view failcnt) {
  auto values = parse_flat_keyed(oom_control);
  OomEvidence evidence;
  evidence.oom_kills = value_of(values, "oom_kill");
  evidence.under_oom = value_of(values, "under_oom").value_or(0) != 0;
  evidence.limit_hits = parse_single_value(failcnt).value_or(0);
  return evidence;
}

bool killed_by_memory_limit(const OomEvidence& evidence, std::optional<int> exit_code,
                            std::optional<int> signal, bool timed_out) {
  if (timed_out) return false;  // the harness's own SIGKILL, not the OOM killer
  bool clean_exit = exit_code && *exit_code == 0;
  if (clean_exit) return false;
  if (evidence.oom_kills) return *evidence.oom_kills > 0;
  bool sigkill = signal && *signal == SIGKILL;
  return evidence.under_oom || (evidence.limit_hits > 0 && sigkill);
}

}  // namespace coldbench::limits
