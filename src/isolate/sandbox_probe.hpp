#pragma once
// Checks once, before any run, that this host lets us build the sandbox, and
// turns a refusal into a message that names the cause and the fix (the
// sysctl that disables unprivileged user namespaces, a container without
// CAP_SYS_ADMIN, a masked /proc). A failure at spawn time could only say
// "Operation not permitted".

#include <string>
#include <vector>

#include "core/expected.hpp"
#include "isolate/sandbox_setup.hpp"

namespace coldbench::isolate {

// The sysctls that decide whether namespaces may be created; a value is
// empty when the file does not exist on this kernel.
struct NamespaceSysctls {
  std::string unprivileged_userns_clone;  // kernel.unprivileged_userns_clone (Debian/Ubuntu patch)
  std::string apparmor_restrict_unprivileged_userns;  // kernel.apparmor_restrict_unprivileged_userns
                                                      // (Ubuntu 23.10+)
  std::string max_user_namespaces;  // user.max_user_namespaces
  std::string max_pid_namespaces;   // user.max_pid_namespaces
  std::string max_mnt_namespaces;   // user.max_mnt_namespaces
};

NamespaceSysctls read_namespace_sysctls();

// Why clone() with the sandbox's flags failed with `error`, and what to do.
std::string explain_clone_refusal(int error, bool user_namespace, const NamespaceSysctls& sysctls);

// Why a setup step (described as "mounting /proc for ...") failed with `error`.
std::string explain_step_failure(const std::string& step, int error, bool user_namespace);

// Clones a throwaway child with the sandbox's flags and runs `steps` in it.
Expected<void> probe_sandbox(const SandboxPlan& plan, const std::vector<proc::ChildSetup*>& steps);

}  // namespace coldbench::isolate
