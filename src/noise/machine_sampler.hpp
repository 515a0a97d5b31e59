#pragma once
// Samples the machine around a run: /proc/stat and /proc/loadavg just before
// the spawn and just after the reap, cpufreq where the kernel exposes it, and
// the harness's own CPU time; noise_between() turns two samples into the
// run's MachineNoise. Reading costs microseconds (docs/machine-noise.md).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "core/cpu_list.hpp"
#include "noise/proc_stat.hpp"

namespace coldbench::noise {

struct MachineSample {
  int64_t monotonic_ns = 0;
  std::optional<ProcStat> stat;
  std::optional<double> load_1m;
  double harness_cpu_ms = 0;     // getrusage(RUSAGE_SELF): every harness thread
  std::vector<double> freq_mhz;  // one per CPU whose scaling_cur_freq could be read
  std::string governor;          // distinct scaling_governor values, "/"-joined; "" = none readable
  std::string problem;           // a counter file that exists but could not be parsed, in words
};

class MachineSampler {
 public:
  // The directories are parameters so tests can point them at fixture trees.
  explicit MachineSampler(std::string proc_dir = "/proc",
                          std::string cpu_sys_dir = "/sys/devices/system/cpu");

  enum class Moment { BeforeSpawn, AfterReap };

  // `cpus`: the CPUs the run may use (frequency, governor). The CPU counters
  // are read nearest the run (last before the spawn, first after the reap);
  // the governor only before it, as it does not change within a run.
  MachineSample sample(const CpuList& cpus, Moment moment) const;

 private:
  std::string proc_dir_;
  std::string cpu_sys_dir_;
};

// The run's noise from the samples around it. `workload_cpu_ms` is the
// workload's own CPU time (user + system). Counters that went backwards (CPU
// hotplug) or changed CPU count leave those fields absent. nullopt when
// neither sample read anything.
std::optional<MachineNoise> noise_between(const MachineSample& start, const MachineSample& end,
                                          double workload_cpu_ms, long ticks_per_second);

// The CPUs a run may use: the harness's own affinity narrowed by the run's
// applied --affinity and --cpuset (record.limits, filled before the spawn).
CpuList run_cpus(const RunRecord& record);

// The workload's CPU time: rusage user + system, or its cgroup's usage when
// larger (the cgroup also counts descendants that were never waited for).
double workload_cpu_ms(const RunRecord& record);

}  // namespace coldbench::noise
