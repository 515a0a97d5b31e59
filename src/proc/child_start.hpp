#pragma once
// The steps every workload child takes between clone and exec, shared by the
// harness's own clone (child_exec.cpp) and the spawner program
// (src/spawner/main.cpp). Header-only and libc-only, so the spawner stays a
// tiny static binary. Everything here is async-signal-safe and writes no
// memory but the caller's stack (and errno): it also runs in a CLONE_VM child.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <initializer_list>

namespace coldbench::proc {

// What the child writes to its close-on-exec report pipe: the time it is
// about to exec (then EOF when the exec succeeds), or why it cannot.
struct ChildReport {
  enum Kind : int { AboutToExec = 0, Failure = 1 } kind;
  int stage;  // failures: -2 chdir, -1 exec, >= 0 index of the child setup step
  int error;
  int64_t t_ns;  // AboutToExec: CLOCK_MONOTONIC right before execve
};

namespace child {

// The marker pipe's fd in the child: proc::kMarkerFd (spawn.hpp, which the
// spawner program does not include; child_exec.cpp checks they agree).
inline constexpr int kMarkerFdInChild = 3;

// False when nobody reads the pipe any more: the harness has died.
inline bool report(int fd, const ChildReport& report) {
  return ::write(fd, &report, sizeof report) == static_cast<ssize_t>(sizeof report);
}

[[noreturn]] inline void fail(int fd, int stage, int error) {
  report(fd, ChildReport{ChildReport::Failure, stage, error, 0});
  _exit(127);
}

// Its own process group (so a timeout can kill the whole tree), no blocked
// signals and default dispositions for the ones the harness (or the spawner) handles or ignores.
inline void reset_signals() noexcept {
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGCHLD}) signal(sig, SIG_DFL);
}

// stdin from /dev/null, stdout/stderr to their pipes, the marker pipe as fd 3 (marker_w < 0: none).
inline void set_stdio(int devnull, int out_w, int err_w, int marker_w) noexcept {
  dup2(devnull, STDIN_FILENO);
  dup2(out_w, STDOUT_FILENO);
  dup2(err_w, STDERR_FILENO);
  if (marker_w >= 0) {
    if (marker_w == kMarkerFdInChild) {
      fcntl(kMarkerFdInChild, F_SETFD, 0);
    } else {
      dup2(marker_w, kMarkerFdInChild);
    }
  }
}

// The workload dies with the harness, even by kill -9. Called after any step
// that may change credentials (which clears it), then the report, whose
// write is the check getppid() would be, had the harness died before this
// line; unlike getppid() it also works as PID 1 of a new PID namespace.
// Returns only if the exec failed (after reporting why).
[[noreturn]] inline void exec(int report_fd, const char* program, char* const* argv, char* const* envp) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (!report(report_fd, ChildReport{ChildReport::AboutToExec, 0, 0,
                                     static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec})) {
    _exit(127);
  }
  execve(program, argv, envp);
  fail(report_fd, -1, errno);
}

}  // namespace child
}  // namespace coldbench::proc
