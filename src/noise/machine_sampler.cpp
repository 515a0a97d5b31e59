#include "noise/machine_sampler.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <numeric>

#include "core/clock.hpp"

namespace coldbench::noise {
namespace {

// The whole (small) file, or nullopt when it cannot be opened or read.
std::optional<std::string> read_small_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[8192];
  // /proc/stat of a large machine is tens of KiB; a bound keeps a hostile
  // fixture (or a device) from growing the harness.
  constexpr std::size_t kMaxBytes = 1 << 20;
  while (text.size() < kMaxBytes) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return text;
}

double cpu_ms(const timeval& tv) {
  return double(tv.tv_sec) * 1e3 + double(tv.tv_usec) / 1e3;
}

std::optional<double> fraction_of(double part_ms, double capacity_ms) {
  if (capacity_ms <= 0) return std::nullopt;
  return std::clamp(part_ms / capacity_ms, 0.0, 1.0);
}

}  // namespace

MachineSampler::MachineSampler(std::string proc_dir, std::string cpu_sys_dir)
    : proc_dir_(std::move(proc_dir)), cpu_sys_dir_(std::move(cpu_sys_dir)) {}

MachineSample MachineSampler::sample(const CpuList& cpus, Moment moment) const {
  MachineSample s;
  auto read_counters = [&] {
    auto stat_text = read_small_file(proc_dir_ + "/stat");
    s.monotonic_ns = monotonic_ns();
    rusage self{};
    if (getrusage(RUSAGE_SELF, &self) == 0)
      s.harness_cpu_ms = cpu_ms(self.ru_utime) + cpu_ms(self.ru_stime);
    if (!stat_text) return;
    if (auto stat = parse_proc_stat(*stat_text)) {
      s.stat = *stat;
    } else {
      s.problem = stat.error().message;
    }
  };
  if (moment == Moment::AfterReap) read_counters();
  if (auto text = read_small_file(proc_dir_ + "/loadavg")) {
    if (auto load = parse_loadavg(*text)) {
      s.load_1m = load->one;
    } else if (s.problem.empty()) {
      s.problem = load.error().message;
    }
  }
  // Up to kMaxFrequencyCpus of them, evenly spread: two file reads per CPU
  // before every run would cost milliseconds on a 128-CPU machine.
  constexpr std::size_t kMaxFrequencyCpus = 16;
  const std::size_t step = (cpus.size() + kMaxFrequencyCpus - 1) / kMaxFrequencyCpus;
  for (std::size_t i = 0; i < cpus.size(); i += std::max<std::size_t>(step, 1)) {
    const int cpu = cpus[i];
    const std::string dir = cpu_sys_dir_ + "/cpu" + std::to_string(cpu) + "/cpufreq/";
    if (auto text = read_small_file(dir + "scaling_cur_freq")) {
      if (auto mhz = parse_frequency_mhz(*text)) s.freq_mhz.push_back(*mhz);
    }
    if (moment != Moment::BeforeSpawn) continue;
    if (auto text = read_small_file(dir + "scaling_governor")) {
      std::string governor = text->substr(0, text->find('\n'));
      if (governor.empty() || governor.size() > 64) continue;
      if (("/" + s.governor + "/").find("/" + governor + "/") == std::string::npos) {
        s.governor += (s.governor.empty() ? "" : "/") + governor;
      }
    }
  }
  if (moment == Moment::BeforeSpawn) read_counters();
  return s;
}

std::optional<MachineNoise> noise_between(const MachineSample& start, const MachineSample& end,
                                          double workload_cpu_ms, long ticks_per_second) {
  MachineNoise m;
  m.load_1m_start = start.load_1m;
  m.load_1m_end = end.load_1m;
  m.cpu_governor = start.governor;
  std::vector<double> freq = start.freq_mhz;
  freq.insert(freq.end(), end.freq_mhz.begin(), end.freq_mhz.end());
  if (!freq.empty())
    m.cpu_freq_mhz = std::accumulate(freq.begin(), freq.end(), 0.0) / double(freq.size());

  if (start.stat && end.stat && start.stat->cpus == end.stat->cpus && ticks_per_second > 0 &&
      end.monotonic_ns > start.monotonic_ns) {
    const CpuTimes& a = start.stat->all;
    const CpuTimes& b = end.stat->all;
    const bool monotonic = b.user >= a.user && b.nice >= a.nice && b.system >= a.system &&
                           b.idle >= a.idle && b.iowait >= a.iowait && b.irq >= a.irq &&
                           b.softirq >= a.softirq && b.steal >= a.steal;
    if (monotonic) {
      const double tick_ms = 1000.0 / double(ticks_per_second);
      const double interval_ms = double(end.monotonic_ns - start.monotonic_ns) / 1e6;
      const double capacity_ms = interval_ms * start.stat->cpus;
      const double busy_ms = double(b.busy() - a.busy()) * tick_ms;
      const double harness_ms = std::max(0.0, end.harness_cpu_ms - start.harness_cpu_ms);
      m.cpus = start.stat->cpus;
      m.interval_ms = interval_ms;
      m.busy_cpu_ms = busy_ms;
      m.harness_cpu_ms = harness_ms;
      m.other_cpu_ms = std::max(0.0, busy_ms - workload_cpu_ms - harness_ms);
      m.other_cpu_fraction = fraction_of(*m.other_cpu_ms, capacity_ms);
      m.steal_fraction = fraction_of(double(b.steal - a.steal) * tick_ms, capacity_ms);
      m.iowait_fraction = fraction_of(double(b.iowait - a.iowait) * tick_ms, capacity_ms);
    }
  }
  const bool anything =
      m.load_1m_start || m.load_1m_end || m.cpu_freq_mhz || !m.cpu_governor.empty() || m.cpus;
  if (!anything) return std::nullopt;
  return m;
}

CpuList run_cpus(const RunRecord& record) {
  CpuList cpus;
  if (auto own = read_own_affinity()) cpus = *own;
  if (!record.limits) return cpus;
  for (const std::string* list : {&record.limits->affinity, &record.limits->cpuset}) {
    if (list->empty()) continue;
    if (auto parsed = parse_cpu_list(*list); parsed && !parsed->empty()) {
      cpus = cpus.empty() ? *parsed : intersect(cpus, *parsed);
    }
  }
  return cpus;
}

double workload_cpu_ms(const RunRecord& record) {
  double from_rusage = record.usage.user_ms + record.usage.system_ms;
  if (record.cgroup && record.cgroup->cpu_usage_ms)
    return std::max(from_rusage, *record.cgroup->cpu_usage_ms);
  return from_rusage;
}

}  // namespace coldbench::noise
