#include "proc/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/clock.hpp"
#include "proc/descendants.hpp"
#include "core/utf8.hpp"
#include "core/fd.hpp"
#include "proc/watchdog.hpp"

namespace coldbench::proc {
namespace {

volatile sig_atomic_t g_interrupted = 0;

void on_interrupt(int) { g_interrupted = 1; }

constexpr std::size_t kMaxOutputLine = 64 * 1024;         // longer output lines are split
constexpr std::size_t kMaxMarkerLine = 64 * 1024 * 1024;  // a metric may carry many values
constexpr std::size_t kMaxTailLineChars = 1000;

// Splits a byte stream into lines; a line longer than `max` is delivered in pieces.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max) : max_(max) {}

  template <class OnLine>
  void feed(const char* data, std::size_t size, OnLine&& on_line) {
    while (size > 0) {
      const auto* newline = static_cast<const char*>(std::memchr(data, '\n', size));
      const std::size_t length = newline ? static_cast<std::size_t>(newline - data) : size;
      const std::size_t room = max_ - partial_.size();  // partial_ is always shorter than max_
      if (length >= room) {  // the piece that reaches `max` goes out without waiting for its newline
        partial_.append(data, room);
        data += room;
        size -= room;
        on_line(std::string_view(partial_));
        partial_.clear();
        split_ = true;
        continue;
      }
      partial_.append(data, length);
      if (length > 0) split_ = false;
      if (!newline) return;
      // The newline that ends a line of exactly `max` was delivered with its last piece.
      if (!split_) on_line(std::string_view(partial_));
      partial_.clear();
      split_ = false;
      data += length + 1;
      size -= length + 1;
    }
  }

  template <class OnLine>
  void flush(OnLine&& on_line) {
    if (!partial_.empty()) on_line(std::string_view(partial_));
    partial_.clear();
  }

 private:
  std::string partial_;
  std::size_t max_;
  bool split_ = false;  // the last byte completed a piece of `max`
};

// What the child reports through the close-on-exec status pipe: the time it
// is about to exec (then EOF when the exec succeeds), or why it cannot.
struct ChildReport {
  enum Kind : int { AboutToExec = 0, Failure = 1 } kind;
  int stage;  // failures: -2 chdir, -1 exec, >= 0 index of the child setup step
  int error;
  int64_t t_ns;  // AboutToExec: CLOCK_MONOTONIC right before execve
};

// False when nobody reads the pipe any more: the harness has died.
bool child_report(int fd, const ChildReport& report) {
  return ::write(fd, &report, sizeof report) == static_cast<ssize_t>(sizeof report);
}

[[noreturn]] void child_fail(int fd, int stage, int error) {
  child_report(fd, ChildReport{ChildReport::Failure, stage, error, 0});
  _exit(127);
}

// Runs in the child: everything here must be async-signal-safe.
[[noreturn]] void run_child(const SpawnRequest& request, char* const* argv, char* const* envp, int devnull,
                            int out_w, int err_w, int marker_w, int error_w, int error_r) {
  reset_child_signals();
  // Our copy of the report pipe's read end goes, so that the harness's is the
  // only one and a write below fails once the harness is gone.
  close(error_r);

  dup2(devnull, STDIN_FILENO);
  dup2(out_w, STDOUT_FILENO);
  dup2(err_w, STDERR_FILENO);
  if (marker_w >= 0) {
    if (marker_w == kMarkerFd) {
      fcntl(kMarkerFd, F_SETFD, 0);
    } else {
      dup2(marker_w, kMarkerFd);
    }
  }
  for (std::size_t i = 0; i < request.child_setup.size(); ++i) {
    int error = request.child_setup[i]->apply_in_child();
    if (error != 0) child_fail(error_w, static_cast<int>(i), error);
  }
  if (!request.cwd.empty() && chdir(request.cwd.c_str()) != 0) child_fail(error_w, -2, errno);
  // The workload dies with the harness, even by kill -9. Set after the setup
  // steps (a credential change would clear it) and before the report, whose
  // write is the check getppid() would be, had the harness died before this
  // line; unlike getppid() it also works as PID 1 of a new PID namespace.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (!child_report(error_w, ChildReport{ChildReport::AboutToExec, 0, 0,
                                         static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec})) {
    _exit(127);
  }
  execve(request.program.c_str(), argv, envp);
  child_fail(error_w, -1, errno);
}

pid_t clone_child(unsigned long flags) {
  if (flags == 0) return fork();
  // The raw clone syscall without CLONE_VM behaves like fork (child gets 0).
  return static_cast<pid_t>(syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

bool is_executable_file(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

}  // namespace

void reset_child_signals() noexcept {
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGCHLD}) signal(sig, SIG_DFL);
}

std::string SpawnResult::tail_text() const {
  std::string text;
  for (const auto& line : tail) {
    text += line;
    text += '\n';
  }
  return text;
}

bool interrupt_requested() { return g_interrupted != 0; }
void clear_interrupt() { g_interrupted = 0; }

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll() must return EINTR so the run loop reacts at once
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

Expected<std::string> resolve_program(const std::string& name, const std::string& path_value,
                                      const std::string& cwd) {
  if (name.empty()) return make_error("empty command: give a program to run after --");
  if (name.find('/') != std::string::npos) {
    std::string path = (name[0] != '/' && !cwd.empty()) ? cwd + "/" + name : name;
    struct stat st{};
    if (stat(path.c_str(), &st) != 0) {
      return make_error("cannot run '{}': {} (check the path{})", name, std::strerror(errno),
                        cwd.empty() ? "" : ", relative to --cwd " + cwd);
    }
    if (!S_ISREG(st.st_mode)) return make_error("cannot run '{}': not a regular file", name);
    if (access(path.c_str(), X_OK) != 0) {
      return make_error("cannot run '{}': not executable (chmod +x it, or run it through its interpreter)", name);
    }
    return path;
  }
  std::size_t start = 0;
  while (start <= path_value.size()) {
    std::size_t end = path_value.find(':', start);
    if (end == std::string::npos) end = path_value.size();
    std::string dir = path_value.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  return make_error("command not found: '{}' (searched PATH={}); give a full path or fix PATH", name,
                    path_value);
}

Expected<SpawnResult> spawn_and_wait(const SpawnRequest& request, OutputObserver& observer) {
  // Everything that allocates happens before the fork.
  std::vector<char*> argv;
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : request.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  Fd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) return make_error("cannot open /dev/null: {}", std::strerror(errno));
  Pipe out, err, marker, exec_error;
  if (!out.open() || !err.open() || (request.marker_pipe && !marker.open()) || !exec_error.open()) {
    return make_error("cannot create pipes for the workload: {}", std::strerror(errno));
  }

  // Our children before the run; any other child we have after it is an
  // orphan of the run, handed to us as subreaper, and is ended with it.
  RunWatchdog& watchdog = RunWatchdog::instance();
  const std::vector<pid_t> children_before = child_pids();
  std::string run_tag;
  for (const auto& entry : request.env) {
    if (entry.rfind("COLDBENCH_RUN_ID=", 0) == 0) run_tag = entry;
  }

  SpawnResult result;
  result.clone_ns = monotonic_ns();
  // fork, not vfork: a vfork child runs on our address space until exec, and
  // the kernel then records our peak RSS as the workload's (ru_maxrss), which
  // would report the harness's few MiB for every small workload.
  pid_t pid = clone_child(request.clone_flags);
  if (pid < 0) {
    return make_error("cannot start a process{}: {}",
                      request.clone_flags ? " in new namespaces" : "", std::strerror(errno));
  }
  if (pid == 0) {
    run_child(request, argv.data(), envp.data(), devnull.get(), out.write_end.get(), err.write_end.get(),
              request.marker_pipe ? marker.write_end.get() : -1, exec_error.write_end.get(),
              exec_error.read_end.get());
  }
  result.pid = pid;
  setpgid(pid, pid);  // also in the parent, so a kill of the group can never miss
  watchdog.run_started(WatchedRun{pid, run_tag, request.cgroup_dirs});
  // However this function returns: the group, then the orphans, then the watchdog is told.
  struct RunCleanup {
    pid_t pgid;
    const std::vector<pid_t>& keep;
    RunWatchdog& watchdog;
    ~RunCleanup() {
      kill(-pgid, SIGKILL);
      end_children_except(keep);
      watchdog.run_ended();
    }
  } cleanup{pid, children_before, watchdog};
  out.write_end.reset();
  err.write_end.reset();
  marker.write_end.reset();
  exec_error.write_end.reset();

  // The child reports the moment it execs; harness work before that (fork,
  // cgroup join, affinity, namespaces) is not the workload's time.
  auto read_report = [&](ChildReport& report) {
    ssize_t got;
    do {
      got = ::read(exec_error.read_end.get(), &report, sizeof report);
    } while (got < 0 && errno == EINTR);
    return got == static_cast<ssize_t>(sizeof report);
  };
  ChildReport report{};
  bool failed = false;
  if (read_report(report) && report.kind == ChildReport::AboutToExec) {
    result.spawn_ns = report.t_ns;
    failed = read_report(report);  // EOF: the exec succeeded and closed the pipe
  } else {
    failed = report.kind == ChildReport::Failure;
    if (!failed) result.spawn_ns = monotonic_ns();  // the child died before reporting; time from now
  }
  if (failed) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (report.stage == -1) {
      return make_error("cannot start '{}': {}", request.program, std::strerror(report.error));
    }
    if (report.stage == -2) {
      return make_error("cannot change to directory '{}': {}", request.cwd, std::strerror(report.error));
    }
    return make_error("cannot start '{}': {} failed: {}", request.program,
                      request.child_setup[report.stage]->describe(), std::strerror(report.error));
  }

  Fd pidfd(open_pidfd(pid));
  LineSplitter out_lines(kMaxOutputLine), err_lines(kMaxOutputLine), marker_lines(kMaxMarkerLine);
  int64_t received_ns = 0;

  auto keep_in_tail = [&](std::string_view line) {
    result.tail.emplace_back(utf8_prefix(line, kMaxTailLineChars));  // cut at a character, not inside one
    while (result.tail.size() > request.tail_lines) result.tail.pop_front();
  };
  const int64_t deadline_ns =
      request.timeout_s ? result.spawn_ns + static_cast<int64_t>(*request.timeout_s * 1e9) : INT64_MAX;
  bool out_open = true, err_open = true, marker_open = request.marker_pipe, reaped = false, killed = false;
  // Interrupted, or alive past its deadline (so about to be killed as timed
  // out): no more work on its output lines, so Ctrl-C and --timeout act at
  // once whatever the output is or the --phase/--metric rules cost per line.
  auto run_is_over = [&] {
    return interrupt_requested() || (!reaped && deadline_ns != INT64_MAX && monotonic_ns() >= deadline_ns);
  };
  auto on_output = [&](Stream stream) {
    return [&, stream](std::string_view line) {
      if (run_is_over()) return;
      if (!observer.on_output_line(stream, line, received_ns)) return;
      keep_in_tail(line);
      if (request.show_output) {
        int fd = stream == Stream::Stdout ? STDOUT_FILENO : STDERR_FILENO;
        std::string copy(line);
        copy += '\n';
        ssize_t ignored = ::write(fd, copy.data(), copy.size());
        (void)ignored;
      }
    };
  };
  auto on_out = on_output(Stream::Stdout);
  auto on_err = on_output(Stream::Stderr);
  auto on_marker = [&](std::string_view line) {  // only stored: cheap, and a timed-out run keeps its phases
    if (!interrupt_requested()) observer.on_marker_line(line, received_ns);
  };

  std::array<char, 65536> buffer;
  enum class Read { Data, Again, Closed };
  // Reads what is available on one pipe and hands complete lines on.
  auto pump = [&](int fd, LineSplitter& splitter, auto& on_line) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return Read::Again;
    if (n <= 0) return Read::Closed;
    received_ns = monotonic_ns();
    splitter.feed(buffer.data(), static_cast<std::size_t>(n), on_line);
    return Read::Data;
  };
  auto drain = [&](bool open, int fd, LineSplitter& splitter, auto& on_line) {
    if (!open) return;
    set_nonblocking(fd);
    while (pump(fd, splitter, on_line) == Read::Data) {
    }
  };

  auto reap = [&](int options) {
    int status = 0;
    rusage usage{};
    pid_t done = wait4(pid, &status, options, &usage);
    if (done == pid) {
      result.end_ns = monotonic_ns();
      result.wait_status = status;
      result.usage = usage;
      reaped = true;
    }
  };
  auto kill_group = [&] {
    if (!killed) kill(-pid, SIGKILL);
    killed = true;
  };

  while (!reaped) {
    if (interrupt_requested() && !killed) {
      result.interrupted = true;
      kill_group();
    }
    int64_t now = monotonic_ns();
    if (now >= deadline_ns && !killed) {
      result.timed_out = true;
      kill_group();
    }
    int wait_ms = -1;
    if (deadline_ns != INT64_MAX && !killed) {
      wait_ms = static_cast<int>(std::min<int64_t>((deadline_ns - now + 999'999) / 1'000'000, INT_MAX));
    }
    if (!pidfd) wait_ms = wait_ms < 0 ? 5 : std::min(wait_ms, 5);  // no pidfd: poll for the exit

    std::array<pollfd, 4> fds{};
    nfds_t count = 0;
    int out_i = -1, err_i = -1, marker_i = -1, pid_i = -1;
    if (out_open) { out_i = static_cast<int>(count); fds[count++] = {out.read_end.get(), POLLIN, 0}; }
    if (err_open) { err_i = static_cast<int>(count); fds[count++] = {err.read_end.get(), POLLIN, 0}; }
    if (marker_open) { marker_i = static_cast<int>(count); fds[count++] = {marker.read_end.get(), POLLIN, 0}; }
    if (pidfd) { pid_i = static_cast<int>(count); fds[count++] = {pidfd.get(), POLLIN, 0}; }

    int ready = poll(fds.data(), count, wait_ms);
    if (ready < 0) continue;  // EINTR: the interrupt check above runs next
    // Reap first, so the end time is not delayed by reading output.
    if (pid_i >= 0 && fds[pid_i].revents) reap(0);
    if (!pidfd) reap(WNOHANG);
    auto still_open = [&](int index, Fd& fd, LineSplitter& splitter, auto& on_line) {
      if (index < 0) return false;
      if (!fds[index].revents) return true;
      return pump(fd.get(), splitter, on_line) != Read::Closed;
    };
    out_open = still_open(out_i, out.read_end, out_lines, on_out);
    err_open = still_open(err_i, err.read_end, err_lines, on_err);
    marker_open = still_open(marker_i, marker.read_end, marker_lines, on_marker);
  }

  // Whatever the process wrote before it exited is still in the pipes. Stray
  // descendants may keep them open, so read without blocking, then remove them.
  drain(out_open, out.read_end.get(), out_lines, on_out);
  drain(err_open, err.read_end.get(), err_lines, on_err);
  drain(marker_open, marker.read_end.get(), marker_lines, on_marker);
  out_lines.flush(on_out);
  err_lines.flush(on_err);
  marker_lines.flush(on_marker);
  return result;  // RunCleanup ends the group and the orphans
}

}  // namespace coldbench::proc
