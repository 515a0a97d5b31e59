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

// What the child and the harness say on the close-on-exec control socket
// (a socketpair; the child's end closes at its exec):
//   child -> harness  Started (its pid; everything before its time zero done)
//   harness -> child  one byte, "go", once the harness has registered the run
//   child -> harness  AboutToExec (its time zero), then EOF when execve succeeds
// or Failure (which step, errno) at any point. After "go" the harness does not
// read again until the child is reaped, so nothing of the harness wakes up
// between the child's time zero and its exit (the spawner's vfork release is
// the one wake-up, as posix_spawn's is for hyperfine).
struct ChildReport {
  enum Kind : int { AboutToExec = 0, Failure = 1, Started = 2 } kind;
  int stage;  // failures: -2 chdir, -1 exec, >= 0 index of the child setup step
  int error;
  int pid;       // Started, Failure: getpid() in the child (1 in a new PID namespace)
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
  report(fd, ChildReport{ChildReport::Failure, stage, error, static_cast<int>(getpid()), 0});
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
// that may change credentials (which clears it). Then Started, and the wait
// for "go": the harness's bookkeeping (process group, watchdog, pidfd) is done
// before the time zero taken below. A failed write or EOF instead of "go" is
// the check getppid() would be, had the harness died: unlike getppid() it also
// works as PID 1 of a new PID namespace. Returns only if the exec failed.
[[noreturn]] inline void exec(int control_fd, const char* program, char* const* argv, char* const* envp) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (!report(control_fd, ChildReport{ChildReport::Started, 0, 0, static_cast<int>(getpid()), 0})) _exit(127);
  char go = 0;
  ssize_t got;
  do {
    got = ::read(control_fd, &go, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) _exit(127);
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  report(control_fd, ChildReport{ChildReport::AboutToExec, 0, 0, 0,
                                 static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec});
  execve(program, argv, envp);
  fail(control_fd, -1, errno);
}

}  // namespace child
}  // namespace coldbench::proc
