#include "core/effective_cpus.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace coldbench {
namespace {

// Values this large mean "no limit" in v1 (PAGE_COUNTER_MAX rounded to pages).
constexpr int64_t kUnlimitedMemory = int64_t(1) << 62;

// own_dir, its parent, ... up to and including the mount point.
std::vector<std::string> path_to_top(const ControllerPlace& place) {
  std::vector<std::string> dirs;
  std::string dir = place.own_dir;
  while (true) {
    dirs.push_back(dir);
    if (dir.size() <= place.mount_point.size()) break;
    auto slash = dir.rfind('/');
    if (slash == std::string::npos || slash < place.mount_point.size()) break;
    dir = dir.substr(0, slash);
  }
  return dirs;
}

template <class T>
void keep_smaller(std::optional<T>& current, std::optional<T> candidate) {
  if (candidate && (!current || *candidate < *current)) current = candidate;
}

}  // namespace

int effective_cpus(const CpuBudget& budget) {
  std::size_t usable = budget.cpuset.empty() ? budget.affinity.size()
                                             : intersect(budget.affinity, budget.cpuset).size();
  if (budget.affinity.empty()) usable = budget.cpuset.size();
  double count = static_cast<double>(usable);
  if (budget.quota_cpus) count = std::min(count, std::floor(*budget.quota_cpus + 1e-9));
  return std::max(1, static_cast<int>(count));
}

std::optional<double> parse_v2_cpu_max(std::string_view text) {
  auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto quota = parse_single_value(text.substr(0, space));
  auto period = parse_single_value(text.substr(space + 1));
  if (!quota || !period || *period <= 0 || *quota <= 0) return std::nullopt;
  return double(*quota) / double(*period);
}

std::optional<double> parse_v1_quota(std::string_view quota_text, std::string_view period_text) {
  auto quota = parse_single_value(quota_text);
  auto period = parse_single_value(period_text);
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return double(*quota) / double(*period);
}

std::optional<int64_t> parse_memory_limit(std::string_view text) {
  auto value = parse_single_value(text);
  if (!value || *value <= 0 || *value >= kUnlimitedMemory) return std::nullopt;
  return value;
}

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  if (file.bad()) return std::nullopt;
  return text.str();
}

CpuBudget read_own_cpu_budget(const CgroupLayout& layout, const CgroupFileReader& read) {
  CpuBudget budget;
  auto affinity = read_own_affinity();
  budget.affinity = affinity ? *affinity : read_online_cpus();
  if (const auto* place = layout.find("cpuset")) {
    // The effective list already folds in the ancestors' cpusets.
    const char* file =
        place->version == CgroupVersion::V2 ? "/cpuset.cpus.effective" : "/cpuset.effective_cpus";
    auto text = read(place->own_dir + file);
    if (!text && place->version == CgroupVersion::V1)
      text = read(place->own_dir + "/cpuset.cpus");
    if (text) {
      auto cpus = parse_cpu_list(*text);
      if (cpus) budget.cpuset = *cpus;
    }
  }
  if (const auto* place = layout.find("cpu")) {
    for (const auto& dir : path_to_top(*place)) {
      if (place->version == CgroupVersion::V2) {
        if (auto text = read(dir + "/cpu.max"))
          keep_smaller(budget.quota_cpus, parse_v2_cpu_max(*text));
      } else {
        auto quota = read(dir + "/cpu.cfs_quota_us");
        auto period = read(dir + "/cpu.cfs_period_us");
        if (quota && period) keep_smaller(budget.quota_cpus, parse_v1_quota(*quota, *period));
      }
    }
  }
  return budget;
}

std::optional<int64_t> read_own_memory_limit(const CgroupLayout& layout, const CgroupFileReader& read) {
  std::optional<int64_t> limit;
  if (const auto* place = layout.find("memory")) {
    const char* file =
        place->version == CgroupVersion::V2 ? "/memory.max" : "/memory.limit_in_bytes";
    for (const auto& dir : path_to_top(*place)) {
      if (auto text = read(dir + file)) keep_smaller(limit, parse_memory_limit(*text));
    }
  }
  return limit;
}

}  // namespace coldbench
