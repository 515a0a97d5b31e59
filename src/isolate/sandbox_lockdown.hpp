#pragma once
// The last sandbox steps before exec, which take from the workload what would
// let it undo the sandbox or change the machine: kernel tunables and sysfs
// become read-only in its mount namespace, and it keeps no capability and
// can gain none. As root this matters most: uid 0 without CAP_SYS_ADMIN may
// still write /proc/sys and /sys (their checks look at the uid), so those are
// made read-only first; without capabilities it cannot remount them, unmount
// the fresh /tmp, mount anything, or set the hostname. See docs/isolation.md
// for what a root workload can still do.

#include <memory>

#include "proc/spawn.hpp"

namespace coldbench::isolate {

// The kernel's knobs that euid 0 may write by file mode alone, made
// read-only (as container engines do): /proc/sys, /proc/sysrq-trigger,
// /proc/irq, /proc/bus, /proc/fs, and /sys with every mount below it (the
// cgroup file systems: a workload could otherwise leave its run's cgroup and
// its limits). Paths that do not exist are skipped. Runs after the fresh
// /proc is mounted.
std::unique_ptr<proc::ChildSetup> make_read_only_kernel_files_step();

// Empties the bounding, permitted, effective, inheritable and ambient
// capability sets and sets no_new_privs (setuid programs and file
// capabilities grant nothing). Must be the last step that needs privilege.
std::unique_ptr<proc::ChildSetup> make_drop_capabilities_step();

}  // namespace coldbench::isolate
