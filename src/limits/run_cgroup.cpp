#include "limits/run_cgroup.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace coldbench::limits {
namespace {

constexpr int kRemoveAttempts = 400;  // x 5 ms

}  // namespace

bool RunCgroupDir::serves(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

int remove_cgroup_dir(CgroupFs& fs, const std::string& dir) {
  int error = 0;
  for (int attempt = 0; attempt < kRemoveAttempts; ++attempt) {
    // Killed processes leave the cgroup only once they have exited; kill again
    // now and then in case one was forking while we killed.
    if (attempt % 50 == 0) fs.kill_members(dir);
    error = fs.remove_dir(dir);
    if (error == 0 || error == ENOENT) return 0;
    if (error != EBUSY) return error;
    fs.pause_briefly();
  }
  return error;
}

RunCgroup::~RunCgroup() {
  if (!removed_) {
    auto ignored = remove();
    (void)ignored;
  }
}

std::vector<std::string> RunCgroup::procs_files() const {
  std::vector<std::string> files;
  for (const auto& dir : dirs_) files.push_back(dir.path + "/cgroup.procs");
  return files;
}

std::optional<std::string> RunCgroup::memory_file_to_sample() const {
  for (const auto& dir : dirs_) {
    if (dir.version == CgroupVersion::V2 && dir.serves("memory") &&
        !fs_->exists(dir.path + "/memory.peak")) {
      return dir.path + "/memory.current";
    }
  }
  return std::nullopt;
}

CgroupStats RunCgroup::read_stats(std::optional<int64_t> sampled_peak) const {
  CgroupStats stats;
  for (const auto& dir : dirs_) {
    if (dir.version == CgroupVersion::V2) {
      // cpu.stat's usage lines exist even without the cpu controller; throttling needs it.
      if (auto text = fs_->read(dir.path + "/cpu.stat")) apply_v2_cpu_stat(*text, stats);
      if (dir.serves("memory")) {
        auto peak = fs_->read(dir.path + "/memory.peak");
        if (peak) stats.memory_peak_bytes = parse_single_value(*peak);
        if (!stats.memory_peak_bytes) stats.memory_peak_bytes = sampled_peak;
      }
      continue;
    }
    if (dir.serves("cpu")) {
      if (auto text = fs_->read(dir.path + "/cpu.stat")) apply_v1_cpu_stat(*text, stats);
    }
    if (dir.serves("cpuacct")) {
      if (auto text = fs_->read(dir.path + "/cpuacct.usage")) apply_v1_cpuacct_usage(*text, stats);
    }
    if (dir.serves("memory")) {
      if (auto text = fs_->read(dir.path + "/memory.max_usage_in_bytes")) {
        stats.memory_peak_bytes = parse_single_value(*text);
      }
    }
  }
  stats.oom_kills = read_oom_evidence().oom_kills;
  return stats;
}

OomEvidence RunCgroup::read_oom_evidence() const {
  for (const auto& dir : dirs_) {
    if (!dir.serves("memory")) continue;
    if (dir.version == CgroupVersion::V2) {
      return parse_v2_memory_events(fs_->read(dir.path + "/memory.events").value_or(""));
    }
    return parse_v1_oom_control(fs_->read(dir.path + "/memory.oom_control").value_or(""),
                                fs_->read(dir.path + "/memory.failcnt").value_or(""));
  }
  return {};
}

Expected<void> RunCgroup::remove() {
  removed_ = true;
  std::string failures;
  for (const auto& dir : dirs_) {
    int error = remove_cgroup_dir(*fs_, dir.path);
    if (error != 0)
      failures +=
          fmt::format("{}{} ({})", failures.empty() ? "" : ", ", dir.path, std::strerror(error));
  }
  if (!failures.empty()) {
    return make_error("cannot remove the run's cgroup {}; it will be removed at the next start",
                      failures);
  }
  return {};
}

}  // namespace coldbench::limits
