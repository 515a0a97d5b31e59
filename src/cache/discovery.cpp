// The tracer. Why not proc::spawn_and_wait: a tracer must wait for every task
// of the tree (waitpid(-1, __WALL)) and restart each of their stops, while
// spawn_and_wait waits for one pid (pidfd + wait4) and blocks until the exec
// succeeded, which a child stopped by PTRACE_TRACEME never reaches on its own.
// So this file forks and execs itself, with the same child basics (own process
// group, stdin from /dev/null, exec errors through a close-on-exec pipe).

#include "cache/discovery.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "cache/file_set.hpp"
#include "core/clock.hpp"
#include "core/fd.hpp"
#include "proc/spawn.hpp"
#include "proc/spawner.hpp"

namespace coldbench::cache {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_X86_64;  // 32-bit (int 0x80) calls use other numbers
#elif defined(__aarch64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kNativeArch = 0;  // no compat syscalls to tell apart
#endif

enum class Call { Other, Open, OpenHow, Exec, ExecAt };

Call classify(uint64_t nr) {
#ifdef SYS_open
  if (nr == SYS_open) return Call::Open;
#endif
  if (nr == SYS_openat) return Call::Open;
  if (nr == SYS_openat2) return Call::OpenHow;
  if (nr == SYS_execve) return Call::Exec;
  if (nr == SYS_execveat) return Call::ExecAt;
  return Call::Other;
}

struct TaskState {
  bool started = false;     // its first stop (SIGSTOP of an auto-attached task) was seen
  bool track_open = false;  // the open in progress reads a file (not O_PATH, not for writing)
  std::string exec_path;    // target of the execve in progress, absolute
};

// Failure report from the child before exec: stage -3 ptrace, -2 chdir, -1 exec.
struct ChildFailure {
  int stage;
  int error;
};

[[noreturn]] void child_fail(int fd, int stage, int error) {
  ChildFailure failure{stage, error};
  ssize_t ignored = ::write(fd, &failure, sizeof failure);
  (void)ignored;
  _exit(127);
}

// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void run_traced_child(const DiscoveryRequest& request, char* const* argv,
                                   char* const* envp, int devnull, int error_fd) {
  proc::reset_child_signals();
  dup2(devnull, STDIN_FILENO);
  if (!request.show_output) {
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
  }
  if (!request.cwd.empty() && chdir(request.cwd.c_str()) != 0) child_fail(error_fd, -2, errno);
  if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) child_fail(error_fd, -3, errno);
  raise(SIGSTOP);  // lets the tracer set its options before the exec
  execve(request.program.c_str(), argv, envp);
  child_fail(error_fd, -1, errno);
}

std::string read_link(const std::string& path) {
  char buffer[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

// A NUL-terminated string in the tracee's memory, read in aligned words so a
// read never crosses into an unmapped page.
std::string read_tracee_string(pid_t tid, uint64_t address) {
  std::string out;
  uint64_t at = address;
  while (out.size() < PATH_MAX) {
    uint64_t aligned = at & ~uint64_t(sizeof(long) - 1);
    errno = 0;
    long word = ptrace(PTRACE_PEEKDATA, tid, reinterpret_cast<void*>(aligned), nullptr);
    if (errno != 0) break;
    unsigned char bytes[sizeof word];
    std::memcpy(bytes, &word, sizeof word);
    for (std::size_t i = at - aligned; i < sizeof word; ++i) {
      if (bytes[i] == 0) return out;
      out.push_back(static_cast<char>(bytes[i]));
    }
    at = aligned + sizeof word;
  }
  return out;
}

bool reads_file(uint64_t flags) {
  return (flags & O_ACCMODE) == O_RDONLY && (flags & (O_PATH | O_TRUNC | O_CREAT)) == 0;
}

class Tracer {
 public:
  Tracer(pid_t root, const DiscoveryRequest& request) : root_(root), request_(request) {
    tasks_[root].started = true;
  }

  Expected<DiscoveryResult> run();

 private:
  void on_syscall_stop(pid_t tid, TaskState& task);
  void on_exec_event(pid_t tid);
  void add_candidate(std::string path) {
    if (is_trackable_path(path)) candidates_.insert(std::move(path));
  }
  void kill_all() {
    kill(-root_, SIGKILL);
    for (const auto& [tid, task] : tasks_) kill(tid, SIGKILL);
  }

  pid_t root_;
  const DiscoveryRequest& request_;
  std::map<pid_t, TaskState> tasks_;
  std::set<std::string> candidates_;
  std::set<pid_t> seen_tasks_;
  Error fatal_;
  bool failed_ = false;
};

void Tracer::on_syscall_stop(pid_t tid, TaskState& task) {
  __ptrace_syscall_info info{};
  long size = ptrace(PTRACE_GET_SYSCALL_INFO, tid, reinterpret_cast<void*>(sizeof info), &info);
  if (size <= 0) {
    if (errno == ESRCH) return;  // killed meanwhile
    if (!failed_) {
      fatal_ = make_error(
          "file discovery needs PTRACE_GET_SYSCALL_INFO (Linux 5.3 or newer): {}; list the files "
          "with --track and add --no-discover",
          std::strerror(errno));
      failed_ = true;
    }
    return;
  }
  if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
    task.track_open = false;
    task.exec_path.clear();
    if (kNativeArch != 0 && info.arch != kNativeArch) return;
    const auto& a = info.entry.args;
    switch (classify(info.entry.nr)) {
      case Call::Open:
#ifdef SYS_open
        task.track_open = reads_file(info.entry.nr == SYS_open ? a[1] : a[2]);
#else
        task.track_open = reads_file(a[2]);
#endif
        break;
      case Call::OpenHow: {  // struct open_how starts with the u64 flags
        errno = 0;
        long flags = ptrace(PTRACE_PEEKDATA, tid, reinterpret_cast<void*>(a[2]), nullptr);
        task.track_open = errno == 0 && reads_file(static_cast<uint64_t>(flags));
        break;
      }
      case Call::Exec:
      case Call::ExecAt: {
        bool at = classify(info.entry.nr) == Call::ExecAt;
        std::string path = read_tracee_string(tid, at ? a[1] : a[0]);
        int dirfd = at ? static_cast<int>(a[0]) : AT_FDCWD;
        std::string proc = "/proc/" + std::to_string(tid);
        if (path.empty() && at && (a[4] & AT_EMPTY_PATH)) {
          task.exec_path = read_link(proc + "/fd/" + std::to_string(dirfd));
        } else if (!path.empty() && path[0] == '/') {
          task.exec_path = absolute_path("/", path);
        } else if (!path.empty()) {
          std::string base =
              read_link(dirfd == AT_FDCWD ? proc + "/cwd" : proc + "/fd/" + std::to_string(dirfd));
          if (!base.empty()) task.exec_path = absolute_path(base, path);
        }
        break;
      }
      case Call::Other:
        break;
    }
    return;
  }
  if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
    if (task.track_open && !info.exit.is_error && info.exit.rval >= 0) {
      add_candidate(read_link(fmt::format("/proc/{}/fd/{}", tid, info.exit.rval)));
    }
    task.track_open = false;
    task.exec_path.clear();
  }
}

// After a successful exec: the program (or script) that was executed, and
// what the kernel mapped without any open call (the ELF interpreter ld.so).
void Tracer::on_exec_event(pid_t tid) {
  unsigned long former = 0;
  ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &former);
  auto from = tasks_.find(static_cast<pid_t>(former));
  if (from != tasks_.end()) {
    if (!from->second.exec_path.empty()) {
      char resolved[PATH_MAX];
      if (::realpath(from->second.exec_path.c_str(), resolved)) add_candidate(resolved);
    }
    // A non-leader thread that execs takes over the leader's id and is gone.
    if (static_cast<pid_t>(former) != tid) tasks_.erase(from);
  }
  std::string proc = "/proc/" + std::to_string(tid);
  add_candidate(read_link(proc + "/exe"));
  std::ifstream maps(proc + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash != std::string::npos) add_candidate(line.substr(slash));
  }
}

Expected<DiscoveryResult> Tracer::run() {
  DiscoveryResult result;
  const int64_t start_ns = monotonic_ns();
  const int64_t deadline_ns =
      request_.timeout_s ? start_ns + static_cast<int64_t>(*request_.timeout_s * 1e9) : INT64_MAX;
  bool root_done = false, killed = false, interrupted = false;
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  seen_tasks_.insert(root_);

  ptrace(PTRACE_SYSCALL, root_, nullptr, nullptr);
  while (true) {
    if (!killed && (failed_ || proc::interrupt_requested() || monotonic_ns() >= deadline_ns)) {
      interrupted = proc::interrupt_requested();
      result.timed_out = !failed_ && !interrupted;
      kill_all();
      killed = true;
    }
    int status = 0;
    // Any task: tracees are reported to their tracer. The harness has no other
    // children while a hook runs (the previous run was reaped).
    pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);
    if (tid == 0) {
      // SIGCHLD is blocked, so one that arrived meanwhile is still pending.
      timespec wait{0, 100'000'000};
      sigtimedwait(&child_signal, nullptr, &wait);
      continue;
    }
    if (tid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: every traced task is gone
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      tasks_.erase(tid);
      if (tid == root_) {
        if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
        root_done = true;
      }
      // As after a measured run: descendants do not outlive the workload.
      if (root_done && !killed) {
        kill_all();
        killed = true;
      }
      continue;
    }
    if (!WIFSTOPPED(status)) continue;
    seen_tasks_.insert(tid);
    TaskState& task = tasks_[tid];
    int sig = WSTOPSIG(status);
    int event = status >> 16;
    int deliver = 0;
    if (!task.started) {
      task.started = true;
      if (sig == SIGSTOP && event == 0) sig = 0;  // the stop every auto-attached task begins with
    }
    if (sig == (SIGTRAP | 0x80)) {
      on_syscall_stop(tid, task);
    } else if (sig == SIGTRAP && event != 0) {
      if (event == PTRACE_EVENT_EXEC) on_exec_event(tid);
    } else if (sig != 0) {
      siginfo_t info{};
      // Without siginfo it is a group-stop (not seized: it cannot be held), else a signal to pass
      // on.
      if (ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) == 0) deliver = sig;
    }
    ptrace(PTRACE_SYSCALL, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(deliver)));
  }
  result.wall_ms = double(monotonic_ns() - start_ns) / 1e6;
  result.processes = static_cast<int>(seen_tasks_.size());
  if (failed_) return fatal_;
  if (interrupted) return Error{"interrupted during file discovery", kExitInterrupted};
  for (const auto& path : candidates_) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) result.files.push_back(path);
  }
  return result;
}

// Blocks SIGCHLD while tracing (sigtimedwait needs it pending), restores the mask after.
class BlockChildSignal {
 public:
  BlockChildSignal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &previous_);
  }
  ~BlockChildSignal() { sigprocmask(SIG_SETMASK, &previous_, nullptr); }

 private:
  sigset_t previous_;
};

bool is_marker_variable(const std::string& entry) {
  return entry.rfind("COLDBENCH_FD=", 0) == 0 || entry.rfind("COLDBENCH_RUN_ID=", 0) == 0;
}

}  // namespace

std::string DiscoveryResult::describe_outcome() const {
  if (timed_out) return "timed out (killed)";
  if (signal) return fmt::format("killed by signal {} ({})", *signal, strsignal(*signal));
  if (exit_code) return fmt::format("exited with code {}", *exit_code);
  return "did not finish";
}

Expected<DiscoveryResult> discover_files(const DiscoveryRequest& request) {
  // The traced run gets no marker fd: nothing reads markers here.
  std::vector<std::string> env;
  for (const auto& entry : request.env) {
    if (!is_marker_variable(entry)) env.push_back(entry);
  }
  std::vector<char*> argv, envp;
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) return make_error("cannot open /dev/null: {}", std::strerror(errno));
  Pipe error_pipe;
  if (!error_pipe.open()) return make_error("cannot create a pipe: {}", std::strerror(errno));

  // The tracer waits until we have no child left; the spawner is one.
  proc::Spawner::stop();
  BlockChildSignal blocked;
  pid_t pid = fork();
  if (pid < 0) return make_error("cannot start a process: {}", std::strerror(errno));
  if (pid == 0)
    run_traced_child(request, argv.data(), envp.data(), devnull.get(), error_pipe.write_end.get());
  setpgid(pid, pid);
  error_pipe.write_end.reset();

  auto child_failure = [&]() -> std::optional<Error> {
    ChildFailure failure{};
    if (::read(error_pipe.read_end.get(), &failure, sizeof failure) !=
        static_cast<ssize_t>(sizeof failure)) {
      return std::nullopt;
    }
    const char* what = std::strerror(failure.error);
    if (failure.stage == -3) {
      return make_error(
          "cannot trace '{}' to discover its files: {} (ptrace is forbidden here: Yama "
          "ptrace_scope 3 or a container's seccomp policy); list them with --track and add "
          "--no-discover",
          request.program, what);
    }
    if (failure.stage == -2)
      return make_error("cannot change to directory '{}': {}", request.cwd, what);
    return make_error("cannot start '{}': {}", request.program, what);
  };

  int status = 0;
  while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
  }
  if (!WIFSTOPPED(status)) {
    if (auto failure = child_failure()) return *failure;
    return make_error("cannot start '{}' for file discovery", request.program);
  }
  long options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                 PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
  if (ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(options)) != 0) {
    int error = errno;
    kill(pid, SIGKILL);
    waitpid(pid, &status, __WALL);
    return make_error("cannot set ptrace options for file discovery: {}", std::strerror(error));
  }
  Tracer tracer(pid, request);
  auto result = tracer.run();
  if (auto failure = child_failure()) return *failure;
  return result;
}

}  // namespace coldbench::cache
