#pragma once
// What `coldbench env` reports: the CPUs and memory this process may use,
// where each cgroup controller lives, and what coldbench can and cannot do
// here (cgroups, affinity, dropping caches, namespaces, container engines),
// with how to get what is missing.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/cpu_list.hpp"

namespace coldbench::limits {

struct ControllerReport {
  std::string name;     // cpu, cpuacct, cpuset, memory
  std::string version;  // "v1", "v2" or "none"
  std::string own_dir;  // the harness's cgroup directory for it
};

struct Capability {
  std::string name;     // e.g. "cgroup limits"
  std::string enables;  // which flags need it
  bool available = false;
  std::string detail;  // what was found
  std::string how;     // how to get it when missing; empty when available
};

struct HostReport {
  bool root = false;
  CpuList online;
  CpuList affinity;
  CpuList cpuset;                    // empty: no cpuset controller visible
  std::optional<double> quota_cpus;  // smallest CFS quota along the own cgroup path
  int effective_cpus = 1;
  std::optional<int64_t> memory_limit_bytes;  // smallest along the own cgroup path
  int64_t memory_total_bytes = 0;
  std::string cgroup_mode;  // v1, v2, hybrid, none
  std::vector<ControllerReport> controllers;
  std::vector<Capability> capabilities;
};

// Gathers the facts and probes what the limits need (cgroups, affinity).
// The CLI adds the other modules' capabilities (caches, namespaces, engines).
HostReport inspect_host();

nlohmann::json to_json(const HostReport& report);

}  // namespace coldbench::limits
