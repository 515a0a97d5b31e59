#include "isolate/sandbox_probe.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/fd.hpp"

namespace coldbench::isolate {
namespace {

std::string read_sysctl(const char* path) {
  std::ifstream in(path);
  std::string value;
  if (in) in >> value;
  return value;
}

struct ProbeFailure {
  int step;
  int error;
};

}  // namespace

NamespaceSysctls read_namespace_sysctls() {
  NamespaceSysctls s;
  s.unprivileged_userns_clone = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
  s.apparmor_restrict_unprivileged_userns =
      read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  s.max_user_namespaces = read_sysctl("/proc/sys/user/max_user_namespaces");
  s.max_pid_namespaces = read_sysctl("/proc/sys/user/max_pid_namespaces");
  s.max_mnt_namespaces = read_sysctl("/proc/sys/user/max_mnt_namespaces");
  return s;
}

std::string explain_clone_refusal(int error, bool user_namespace, const NamespaceSysctls& sysctls) {
  const std::string head =
      fmt::format("--isolate sandbox: the kernel refused to create {} namespaces ({})",
                  user_namespace ? "user, mount, PID, IPC and UTS" : "mount, PID, IPC and UTS",
                  std::strerror(error));
  const std::string fallback = " Or run with --isolate host.";
  if ((error == ENOSPC || error == EUSERS) && user_namespace && sysctls.max_user_namespaces == "0") {
    return head + ": user namespaces are disabled (user.max_user_namespaces=0); enable them with "
                  "`sudo sysctl -w user.max_user_namespaces=15000`, or run coldbench as root." + fallback;
  }
  if (error == ENOSPC || error == EUSERS) {
    return head + ": a namespace count limit is reached (user.max_user_namespaces=" +
           (sysctls.max_user_namespaces.empty() ? "?" : sysctls.max_user_namespaces) +
           ", user.max_pid_namespaces=" +
           (sysctls.max_pid_namespaces.empty() ? "?" : sysctls.max_pid_namespaces) +
           ", user.max_mnt_namespaces=" +
           (sysctls.max_mnt_namespaces.empty() ? "?" : sysctls.max_mnt_namespaces) +
           "). Raise the limit, e.g. `sysctl -w user.max_user_namespaces=15000`." + fallback;
  }
  if (error == EINVAL) {
    return head +
           ": this kernel lacks namespace support (CONFIG_USER_NS, CONFIG_PID_NS, CONFIG_IPC_NS, "
           "CONFIG_UTS_NS)." +
           fallback;
  }
  if (!user_namespace) {
    return head +
           ": running as root, but without CAP_SYS_ADMIN in this namespace, or a seccomp profile "
           "blocks "
           "namespaces (typical inside a container: give it --cap-add SYS_ADMIN and an unconfined "
           "seccomp "
           "profile, or --privileged)." +
           fallback;
  }
  // Not root: name the switch that is off, most specific first.
  std::string cause;
  if (sysctls.unprivileged_userns_clone == "0") {
    cause =
        "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0); enable "
        "them with "
        "`sudo sysctl -w kernel.unprivileged_userns_clone=1`";
  } else if (sysctls.apparmor_restrict_unprivileged_userns == "1") {
    cause =
        "AppArmor restricts unprivileged user namespaces "
        "(kernel.apparmor_restrict_unprivileged_userns=1); "
        "allow them with `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or an "
        "AppArmor "
        "profile for coldbench with the 'userns' permission";
  } else if (sysctls.max_user_namespaces == "0") {
    cause =
        "user namespaces are disabled (user.max_user_namespaces=0); enable them with "
        "`sudo sysctl -w user.max_user_namespaces=15000`";
  } else {
    cause =
        "unprivileged user namespaces are not permitted here (check "
        "kernel.unprivileged_userns_clone, "
        "user.max_user_namespaces and kernel.apparmor_restrict_unprivileged_userns, or a seccomp "
        "profile "
        "of the container you run in)";
  }
  return head + ": " + cause + ", or run coldbench as root." + fallback;
}

std::string explain_step_failure(const std::string& step, int error, bool user_namespace) {
  std::string text = fmt::format("--isolate sandbox: {} failed: {}", step, std::strerror(error));
  if (step.find("/proc for") != std::string::npos && (error == EPERM || error == EACCES)) {
    text +=
        ". The kernel allows a new /proc only where the current one is fully visible; inside a "
        "container "
        "that masks parts of /proc (e.g. /proc/kcore) this is refused";
    if (user_namespace) text += " to unprivileged users (running as root may work)";
  } else if (step.find("tmpfs") != std::string::npos && error == ENOENT) {
    text += ". The mountpoint does not exist";
  } else if (step.find("uid/gid") != std::string::npos) {
    text +=
        ". The kernel refused the single-id mapping an unprivileged user may write (is /proc "
        "mounted read-only?)";
  }
  return text + ". Use --isolate host to run without a sandbox.";
}

Expected<void> probe_sandbox(const SandboxPlan& plan, const std::vector<proc::ChildSetup*>& steps) {
  Pipe report;
  if (!report.open())
    return make_error("--isolate sandbox: cannot create a pipe: {}", std::strerror(errno));
  // A raw clone without CLONE_VM behaves like fork; the child is PID 1 of its
  // namespace and exits at once, which tears all its namespaces down again.
  long pid =
      syscall(SYS_clone, sandbox_clone_flags(plan) | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) {
    int error = errno;  // before reading the sysctls, which may set errno again
    return Error{explain_clone_refusal(error, plan.user_namespace, read_namespace_sysctls())};
  }
  if (pid == 0) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      int error = steps[i]->apply_in_child();
      if (error != 0) {
        ProbeFailure failure{static_cast<int>(i), error};
        ssize_t ignored = write(report.write_end.get(), &failure, sizeof failure);
        (void)ignored;
        _exit(1);
      }
    }
    _exit(0);
  }
  report.write_end.reset();
  ProbeFailure failure{-1, 0};
  ssize_t got;
  do {
    got = read(report.read_end.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  int status = 0;
  while (waitpid(static_cast<pid_t>(pid), &status, 0) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof failure) && failure.step >= 0 &&
      failure.step < static_cast<int>(steps.size())) {
    return Error{
        explain_step_failure(steps[failure.step]->describe(), failure.error, plan.user_namespace)};
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(
        "--isolate sandbox: the setup check process ended unexpectedly (status {:#x})", status);
  }
  return {};
}

}  // namespace coldbench::isolate
