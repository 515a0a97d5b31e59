#pragma once
// Per-run cgroups under coldbench's own parent cgroup, on cgroup v2, v1 or a
// hybrid of both (picked per controller). The parent is "coldbench" inside
// the harness's own cgroup, so the harness's own limits still apply to runs,
// also as root (never the top of the hierarchy). Nothing outside that parent
// is ever written, except on v2 enabling the controllers in the own cgroup's
// subtree_control (and moving the harness into a leaf of its parent, which the
// kernel's no-internal-process rule requires when the harness is alone in its
// cgroup); when other processes share the own cgroup, that is an error that
// says how to give coldbench a cgroup of its own.

#include <memory>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "limits/cgroup_fs.hpp"
#include "core/cgroup_layout.hpp"
#include "limits/limit_spec.hpp"
#include "limits/run_cgroup.hpp"

namespace coldbench::limits {

inline constexpr const char* kParentName = "coldbench";

struct CgroupNeeds {
  std::vector<std::string> required;  // the requested limits cannot work without these
  std::vector<std::string> optional;  // used for statistics where available
};

// cpu for --cpus, cpuset for --cpuset, memory for --memory; cpu, cpuacct and
// memory also for statistics.
CgroupNeeds needs_for(const LimitSpec& spec);

// One hierarchy the run cgroups live in.
struct RunHierarchy {
  CgroupVersion version = CgroupVersion::V2;
  std::string mount_point;
  std::string base_dir;    // where coldbench's parent lives: the harness's own cgroup
  std::string parent_dir;  // coldbench's own parent: base_dir + "/coldbench"
  std::vector<std::string> controllers;
};

class CgroupBackend {
 public:
  // Picks the hierarchies, prepares coldbench's parent in each (an error names
  // what is missing: root, a delegated v2 subtree, systemd-run) and removes
  // run cgroups left by a harness that was killed.
  static Expected<std::unique_ptr<CgroupBackend>> prepare(const CgroupLayout& layout,
                                                          const CgroupNeeds& needs,
                                                          CgroupFs& fs = real_cgroup_fs());
  CgroupBackend(const CgroupBackend&) = delete;
  CgroupBackend& operator=(const CgroupBackend&) = delete;
  ~CgroupBackend();  // removes the parents when no other session uses them

  const std::vector<RunHierarchy>& hierarchies() const { return hierarchies_; }
  // "v1", "v2" or "v1+v2" (hybrid).
  std::string version_label() const;
  // What preparing did that a user may want to know (stale cgroups removed or left).
  const std::vector<std::string>& notes() const { return notes_; }

  // A fresh run-<pid>-<seq> cgroup in every hierarchy, with the limits written.
  Expected<std::unique_ptr<RunCgroup>> create_run(const LimitSpec& spec);

 private:
  explicit CgroupBackend(CgroupFs& fs) : fs_(&fs) {}
  Expected<void> ensure_parent(RunHierarchy& hierarchy, const CgroupNeeds& needs);
  Expected<void> enable_v2_controllers(RunHierarchy& hierarchy, const CgroupNeeds& needs);
  Expected<void> configure(const RunHierarchy& hierarchy, const std::string& dir,
                           const LimitSpec& spec);
  void remove_stale(const RunHierarchy& hierarchy);

  CgroupFs* fs_;
  std::vector<RunHierarchy> hierarchies_;
  CgroupNeeds needs_;
  std::vector<std::string> notes_;
  int next_sequence_ = 0;
};

// What to do when coldbench may not write a cgroup, for error messages.
std::string cgroup_permission_hint(CgroupVersion version);

}  // namespace coldbench::limits
