#pragma once
// The sandbox's namespaces and the steps its child runs between clone and
// exec: map its own uid/gid (user namespace, when not root), make every mount
// private, mount fresh tmpfs on /tmp, /dev/shm and the per-run HOME (carrying
// through the few entries of /tmp the workload itself lives in), mount a /proc
// for the new PID namespace, make kernel tunables and /sys read-only, set the
// hostname, and drop every capability (sandbox_lockdown.hpp).

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "proc/spawn.hpp"

namespace coldbench::isolate {

inline constexpr const char* kSandboxHostname = "coldbench-sandbox";

struct SandboxPlan {
  bool user_namespace = false;  // needed when not root
  uid_t uid = 0;                // the harness's ids, mapped to themselves inside
  gid_t gid = 0;
  std::string home;           // mountpoint of the per-run HOME tmpfs
  bool fresh_dev_shm = true;  // /dev/shm exists here
  // Top-level entries of /tmp or /dev/shm ("/tmp/myproject") that stay visible
  // in the fresh tmpfs, bind-mounted from the host: where the program, its
  // working directory or a path on its command line lives.
  std::vector<std::string> kept_entries;
};

// CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS (+ CLONE_NEWUSER).
unsigned long sandbox_clone_flags(const SandboxPlan& plan);

// The contents written to /proc/self/uid_map (or gid_map): one line mapping
// the id to itself, the only mapping an unprivileged process may write.
std::string identity_map_line(unsigned id);

// The child steps in the order they must run. Owned by the caller; pass raw
// pointers into SpawnRequest::child_setup.
std::vector<std::unique_ptr<proc::ChildSetup>> make_sandbox_steps(const SandboxPlan& plan);

}  // namespace coldbench::isolate
