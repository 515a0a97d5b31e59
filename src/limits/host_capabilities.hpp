#pragma once
// The probes behind `coldbench env`'s list of what coldbench can do here.
// Each tries the real operation in a harmless form: a trial cgroup created
// and removed, the affinity set to what it already is, namespaces created by
// a child that exits at once.

#include "core/cgroup_layout.hpp"
#include "limits/host_report.hpp"

namespace coldbench::limits {

// A trial run cgroup with each of --cpus, --cpuset and --memory.
Capability probe_cgroup_limits(const CgroupLayout& layout);
// sched_setaffinity of this process to its current mask.
Capability probe_affinity();
// A forked child calls unshare(flags) and exits; 0 or the errno it got.
int probe_unshare(int flags);

}  // namespace coldbench::limits
