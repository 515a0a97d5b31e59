#pragma once
// One run's transient cgroup: a directory per hierarchy it uses (one on v2,
// one per controller mount on v1). It reads the run's statistics and removes
// itself: stragglers are killed, then rmdir is retried while they are reaped.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/record.hpp"
#include "limits/cgroup_fs.hpp"
#include "core/cgroup_layout.hpp"
#include "limits/cgroup_stat_files.hpp"

namespace coldbench::limits {

struct RunCgroupDir {
  CgroupVersion version = CgroupVersion::V2;
  std::string path;
  std::vector<std::string> controllers;  // of cpu, cpuacct, cpuset, memory
  bool serves(std::string_view controller) const;
};

class RunCgroup {
 public:
  RunCgroup(CgroupFs& fs, std::vector<RunCgroupDir> dirs) : fs_(&fs), dirs_(std::move(dirs)) {}
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  ~RunCgroup();  // best-effort removal if remove() was not called

  const std::vector<RunCgroupDir>& dirs() const { return dirs_; }
  // The cgroup.procs files the child writes "0" into to join (every hierarchy on v1).
  std::vector<std::string> procs_files() const;
  // v2 without memory.peak (before Linux 5.19): memory.current, to be sampled during the run.
  std::optional<std::string> memory_file_to_sample() const;

  // CPU usage, throttling, memory peak and OOM kills. `sampled_peak` fills
  // in the memory peak where the kernel keeps none.
  CgroupStats read_stats(std::optional<int64_t> sampled_peak = std::nullopt) const;
  OomEvidence read_oom_evidence() const;

  // Kills what is left in it and removes every directory.
  Expected<void> remove();

 private:
  CgroupFs* fs_;
  std::vector<RunCgroupDir> dirs_;
  bool removed_ = false;
};

// Kills the cgroup's members and removes its directory, retrying a busy rmdir
// for up to about two seconds. 0, or the last errno.
int remove_cgroup_dir(CgroupFs& fs, const std::string& dir);

}  // namespace coldbench::limits
