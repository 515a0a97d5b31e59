#include "core/cpu_list.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/text.hpp"

namespace coldbench {
namespace {

// A CPU number no machine has; keeps "0-999999999" from allocating gigabytes.
constexpr int kMaxCpu = 65535;

bool parse_cpu_number(std::string_view text, int& out) {
  text = trim(text);
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0 && out <= kMaxCpu;
}

}  // namespace

Expected<CpuList> parse_cpu_list(std::string_view text) {
  text = trim(text);
  CpuList cpus;
  if (text.empty()) return cpus;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    std::size_t dash = item.find('-');
    int first = 0, last = 0;
    if (dash == std::string_view::npos) {
      if (!parse_cpu_number(item, first)) {
        return make_error("'{}' is not a CPU list: '{}' is not a CPU number (write e.g. 0-2,5)",
                          text, trim(item));
      }
      last = first;
    } else if (!parse_cpu_number(item.substr(0, dash), first) ||
               !parse_cpu_number(item.substr(dash + 1), last)) {
      return make_error("'{}' is not a CPU list: '{}' is not a range like 0-3", text, trim(item));
    }
    if (last < first)
      return make_error("'{}' is not a CPU list: range '{}' runs backwards", text, trim(item));
    for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
    start = comma + 1;
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpu_list(const CpuList& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

CpuList intersect(const CpuList& a, const CpuList& b) {
  CpuList out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

bool contains_all(const CpuList& outer, const CpuList& inner) {
  return std::includes(outer.begin(), outer.end(), inner.begin(), inner.end());
}

Expected<CpuList> parse_user_cpu_list(std::string_view flag, std::string_view text,
                                      const CpuList& online) {
  auto cpus = parse_cpu_list(text);
  if (!cpus) return cpus.error().with_context(flag);
  if (cpus->empty()) return make_error("{}: no CPUs given; write a list like 0 or 0-1,3", flag);
  CpuList missing;
  std::set_difference(cpus->begin(), cpus->end(), online.begin(), online.end(),
                      std::back_inserter(missing));
  if (!missing.empty()) {
    return make_error("{} {}: CPU {} {} not online here; valid CPUs are {}", flag, text,
                      format_cpu_list(missing), missing.size() == 1 ? "is" : "are",
                      format_cpu_list(online));
  }
  return cpus;
}

CpuList read_online_cpus() {
  std::ifstream file("/sys/devices/system/cpu/online");
  std::stringstream text;
  text << file.rdbuf();
  if (file) {
    auto cpus = parse_cpu_list(text.str());
    if (cpus && !cpus->empty()) return *cpus;
  }
  CpuList cpus;
  long count = sysconf(_SC_NPROCESSORS_ONLN);
  for (long cpu = 0; cpu < std::max(count, 1L); ++cpu) cpus.push_back(static_cast<int>(cpu));
  return cpus;
}

Expected<CpuList> read_own_affinity() {
  // A dynamically sized mask, so machines with more than CPU_SETSIZE CPUs work.
  for (int size = 1024; size <= kMaxCpu + 1; size *= 4) {
    cpu_set_t* set = CPU_ALLOC(size);
    if (!set) return make_error("cannot allocate a CPU mask");
    std::size_t bytes = CPU_ALLOC_SIZE(size);
    CPU_ZERO_S(bytes, set);
    if (sched_getaffinity(0, bytes, set) == 0) {
      CpuList cpus;
      for (int cpu = 0; cpu < size; ++cpu) {
        if (CPU_ISSET_S(cpu, bytes, set)) cpus.push_back(cpu);
      }
      CPU_FREE(set);
      return cpus;
    }
    int error = errno;
    CPU_FREE(set);
    if (error != EINVAL) return make_error("sched_getaffinity failed: {}", std::strerror(error));
  }
  return make_error("sched_getaffinity: the CPU mask is larger than {} CPUs", kMaxCpu + 1);
}

}  // namespace coldbench
