#pragma once
// Where each cgroup controller lives on this host: cgroup v2 (unified), v1
// (one hierarchy per mount) or hybrid (v1 controllers plus a unified mount).
// Detected from /proc/self/mountinfo and /proc/self/cgroup, per controller.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench {

enum class CgroupVersion { V1, V2 };

std::string_view to_string(CgroupVersion version);

// One controller's hierarchy as this process sees it.
struct ControllerPlace {
  CgroupVersion version = CgroupVersion::V2;
  std::string mount_point;  // e.g. /sys/fs/cgroup/cpu or /sys/fs/cgroup
  std::string own_path;     // this process's cgroup inside the hierarchy, e.g. /user.slice/x.scope
  std::string own_dir;  // the directory of that cgroup: mount point + path below the mount's root
};

struct CgroupLayout {
  // The controllers coldbench uses: cpu, cpuacct (v1 only), cpuset, memory.
  std::map<std::string, ControllerPlace> controllers;
  // The unified (v2) mount, even where it carries no controller (hybrid hosts).
  std::optional<ControllerPlace> unified;

  const ControllerPlace* find(std::string_view controller) const;
  // "v1", "v2", or "hybrid" (some v1 controller and a unified mount), "none".
  std::string mode() const;
};

// The controllers a limit or statistic can use, in the order reports list them.
const std::vector<std::string>& known_controllers();

// Pure: builds the layout from the texts of /proc/self/mountinfo, /proc/self/cgroup
// and the unified mount's own cgroup.controllers (which controllers v2 offers).
CgroupLayout parse_cgroup_layout(std::string_view mountinfo, std::string_view proc_self_cgroup,
                                 std::string_view unified_controllers);

// Reads the real files. An error only when /proc is unreadable.
Expected<CgroupLayout> detect_cgroup_layout();

// A cgroup file holding one number ("12345\n"); "max" and garbage give nullopt.
std::optional<int64_t> parse_single_value(std::string_view text);

}  // namespace coldbench
