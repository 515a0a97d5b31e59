#include "system_info.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace coldbench::workload {
namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The tightest CPU quota on the way from this process's cgroup to the root.
std::optional<double> read_quota_cpus() {
  auto cgroups = read_text("/proc/self/cgroup");
  if (!cgroups) return std::nullopt;
  std::optional<double> tightest;
  auto consider = [&](std::optional<double> quota) {
    if (quota && (!tightest || *quota < *tightest)) tightest = quota;
  };
  std::istringstream lines(*cgroups);
  std::string line;
  while (std::getline(lines, line)) {
    // "hierarchy-id:controllers:path"
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    fs::path path = line.substr(second + 1);
    if (controllers.empty()) {  // cgroup v2
      for (fs::path dir = fs::path("/sys/fs/cgroup") / path.relative_path();;
           dir = dir.parent_path()) {
        if (auto text = read_text(dir / "cpu.max")) consider(parse_cpu_max(*text));
        if (dir == "/sys/fs/cgroup" || dir == dir.parent_path()) break;
      }
    } else if (("," + controllers + ",").find(",cpu,") != std::string::npos) {  // v1 cpu
      for (const char* mount : {"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"}) {
        for (fs::path dir : {fs::path(mount) / path.relative_path(), fs::path(mount)}) {
          auto quota = read_text(dir / "cpu.cfs_quota_us");
          auto period = read_text(dir / "cpu.cfs_period_us");
          if (!quota || !period) continue;
          double q = std::atof(quota->c_str());
          double p = std::atof(period->c_str());
          if (q > 0 && p > 0) consider(q / p);
        }
      }
    }
  }
  return tightest;
}

}  // namespace

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

std::optional<double> parse_cpu_max(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string quota;
  double period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(quota.c_str(), &end);
  if (!end || *end != '\0' || value <= 0) return std::nullopt;
  return value / period;
}

int effective_cpus(std::size_t affinity_count, std::optional<double> quota_cpus) {
  long cpus = static_cast<long>(affinity_count);
  if (quota_cpus) cpus = std::min(cpus, static_cast<long>(std::floor(*quota_cpus)));
  return static_cast<int>(std::max(cpus, 1L));
}

CpuBudget read_cpu_budget() {
  CpuBudget budget;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) budget.affinity.push_back(cpu);
    }
  }
  if (budget.affinity.empty()) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    for (long cpu = 0; cpu < std::max(online, 1L); ++cpu) budget.affinity.push_back(int(cpu));
  }
  budget.quota_cpus = read_quota_cpus();
  budget.effective_cpus = effective_cpus(budget.affinity.size(), budget.quota_cpus);
  return budget;
}

std::map<std::string, std::string> thread_environment() {
  std::map<std::string, std::string> env;
  for (const char* name :
       {"OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_PROC_BIND",
        "OMP_WAIT_POLICY", "KMP_AFFINITY", "ATEN_CPU_CAPABILITY", "DNNL_MAX_CPU_ISA"}) {
    const char* value = std::getenv(name);
    env[name] = value ? value : "";
  }
  return env;
}

std::optional<int64_t> process_start_monotonic_ns() {
  auto stat = read_text("/proc/self/stat");
  if (!stat) return std::nullopt;
  auto close = stat->rfind(')');  // the command name may contain spaces and parentheses
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat->substr(close + 2));
  std::string field;
  for (int index = 3; index <= 22 && fields >> field; ++index) {
    if (index != 22) continue;
    long ticks_per_s = sysconf(_SC_CLK_TCK);
    timespec boot{}, mono{};
    if (ticks_per_s <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0 ||
        clock_gettime(CLOCK_MONOTONIC, &mono) != 0) {
      return std::nullopt;
    }
    int64_t started_boot_ns = std::stoll(field) * (1'000'000'000LL / ticks_per_s);
    int64_t boot_ns = boot.tv_sec * 1'000'000'000LL + boot.tv_nsec;
    int64_t mono_ns = mono.tv_sec * 1'000'000'000LL + mono.tv_nsec;
    return mono_ns - (boot_ns - started_boot_ns);
  }
  return std::nullopt;
}

int64_t current_rss_bytes() {
  auto statm = read_text("/proc/self/statm");
  if (!statm) return 0;
  std::istringstream in(*statm);
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

int64_t peak_rss_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

}  // namespace coldbench::workload
