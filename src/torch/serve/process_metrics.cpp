#include "torch/serve/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace coldbench::workload::metrics {
namespace {

std::optional<double> boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double value = 0;
      if (in >> value) return value;
      return std::nullopt;
    }
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

std::optional<ProcessStat> read_self_stat() {
  static const std::optional<double> boot = boot_time_seconds();
  if (!boot) return std::nullopt;
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return parse_proc_stat(line, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), *boot);
}

std::optional<double> open_fds() {
  std::error_code error;
  double count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  if (error) return std::nullopt;
  return count - 1;  // the iterator's own descriptor on /proc/self/fd
}

}  // namespace

std::optional<ProcessStat> parse_proc_stat(std::string_view line, long ticks_per_second,
                                           long page_size, double boot_time_seconds) {
  // Fields after the command name, which ends at the LAST ')'.
  size_t close = line.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  std::istringstream rest{std::string(line.substr(close + 1))};
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string field; rest >> field;) fields.push_back(field);
  if (fields.size() < 22) return std::nullopt;
  auto number = [&](size_t field) -> std::optional<double> {
    const std::string& text = fields[field - 3];
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  };
  auto utime = number(14), stime = number(15), start = number(22), vsize = number(23),
       rss = number(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  ProcessStat stat;
  const double ticks = static_cast<double>(ticks_per_second);
  stat.cpu_seconds = (*utime + *stime) / ticks;
  stat.start_time_seconds = boot_time_seconds + *start / ticks;
  stat.virtual_memory_bytes = *vsize;
  stat.resident_memory_bytes = *rss * static_cast<double>(page_size);
  return stat;
}

void register_process_metrics(Registry& registry) {
  auto field = [](double ProcessStat::*member) {
    return [member]() -> std::optional<double> {
      auto stat = read_self_stat();
      if (!stat) return std::nullopt;
      return (*stat).*member;
    };
  };
  registry.sampled("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                   Type::kCounter, field(&ProcessStat::cpu_seconds));
  registry.sampled("process_start_time_seconds",
                   "Start time of the process since unix epoch in seconds.", Type::kGauge,
                   field(&ProcessStat::start_time_seconds));
  registry.sampled("process_resident_memory_bytes", "Resident memory size in bytes.", Type::kGauge,
                   field(&ProcessStat::resident_memory_bytes));
  registry.sampled("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::kGauge,
                   field(&ProcessStat::virtual_memory_bytes));
  registry.sampled("process_open_fds", "Number of open file descriptors.", Type::kGauge, open_fds);
  registry.sampled("process_max_fds", "Maximum number of open file descriptors.", Type::kGauge,
                   []() -> std::optional<double> {
                     rlimit limit{};
                     if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
                     return static_cast<double>(limit.rlim_cur);
                   });
}

}  // namespace coldbench::workload::metrics
