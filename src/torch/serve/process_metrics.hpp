#pragma once
// The standard process_* metrics every Prometheus client exports (the names
// client_golang and prometheus_client use), read from /proc at scrape time.

#include <optional>
#include <string_view>

#include "torch/serve/metrics.hpp"

namespace coldbench::workload::metrics {

struct ProcessStat {
  double cpu_seconds = 0;         // utime + stime
  double start_time_seconds = 0;  // since the Unix epoch
  double virtual_memory_bytes = 0;
  double resident_memory_bytes = 0;
};

// Parses one /proc/PID/stat line (the command name may hold spaces and
// parentheses) given the clock ticks per second, page size and boot time.
std::optional<ProcessStat> parse_proc_stat(std::string_view line, long ticks_per_second,
                                           long page_size, double boot_time_seconds);

// Adds process_cpu_seconds_total, process_start_time_seconds,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds and process_max_fds for this process.
void register_process_metrics(Registry& registry);

}  // namespace coldbench::workload::metrics
