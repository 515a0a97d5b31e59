#pragma once
// Parsers for the kernel's machine-wide counters that machine noise is
// computed from: /proc/stat (CPU time by state), /proc/loadavg and cpufreq's
// scaling_cur_freq. Pure functions over text, so malformed input is tested
// without a kernel; docs/machine-noise.md says what each field means.

#include <cstdint>
#include <string_view>

#include "core/expected.hpp"

namespace coldbench::noise {

// The aggregate "cpu" line of /proc/stat, in clock ticks (USER_HZ). Guest time
// is already inside user and nice, so it is not read separately.
struct CpuTimes {
  uint64_t user = 0;
  uint64_t nice = 0;
  uint64_t system = 0;
  uint64_t idle = 0;
  uint64_t iowait = 0;
  uint64_t irq = 0;
  uint64_t softirq = 0;
  uint64_t steal = 0;  // absent on old kernels: 0

  // Time something ran on this machine's CPUs (steal and iowait are not running).
  uint64_t busy() const { return user + nice + system + irq + softirq; }
  uint64_t total() const { return busy() + idle + iowait + steal; }
};

struct ProcStat {
  CpuTimes all;  // the "cpu" line: every CPU together
  int cpus = 0;  // how many "cpuN" lines (the online CPUs the kernel accounts)
};

// Parses the text of /proc/stat. Errors name what is wrong: no "cpu" line, a
// field that is not a number, fewer than the four fields every kernel has.
Expected<ProcStat> parse_proc_stat(std::string_view text);

struct LoadAverage {
  double one = 0;  // 1-minute exponentially damped load (runnable + uninterruptible tasks)
  double five = 0;
  double fifteen = 0;
};

// Parses /proc/loadavg ("0.52 0.58 0.59 1/467 12345").
Expected<LoadAverage> parse_loadavg(std::string_view text);

// Parses a cpufreq scaling_cur_freq file (kHz) into MHz.
Expected<double> parse_frequency_mhz(std::string_view text);

}  // namespace coldbench::noise
