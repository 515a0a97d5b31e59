#include "torch/common/system_info.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/env_var.hpp"

namespace coldbench::workload {

ProcessCpus read_process_cpus() {
  ProcessCpus cpus;
  auto layout = detect_cgroup_layout();
  cpus.budget = read_own_cpu_budget(layout ? *layout : CgroupLayout{});
  cpus.effective_cpus = effective_cpus(cpus.budget);
  return cpus;
}

std::map<std::string, std::string> thread_environment() {
  std::map<std::string, std::string> env;
  for (std::string_view name : kThreadVariables) {
    const char* value = std::getenv(std::string(name).c_str());
    env[std::string(name)] = value ? value : "";
  }
  return env;
}

std::optional<int64_t> process_start_monotonic_ns() {
  auto stat = read_text_file("/proc/self/stat");
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
  auto statm = read_text_file("/proc/self/statm");
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
