#include "proc/child_process.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>

#include "core/clock.hpp"
#include "proc/child_exec.hpp"
#include "proc/descendants.hpp"
#include "proc/output_capture.hpp"
#include "proc/spawner.hpp"
#include "proc/watchdog.hpp"

namespace coldbench::proc {
namespace {

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

std::string run_tag(const SpawnRequest& request) {
  std::string tag;
  for (const auto& entry : request.env) {
    if (entry.rfind("COLDBENCH_RUN_ID=", 0) == 0) tag = entry;
  }
  return tag;
}

}  // namespace

ChildProcess::ChildProcess(const SpawnRequest& request) : request_(request) {}

ChildProcess::~ChildProcess() {
  if (!watchdog_) return;  // never started
  kill(-result_.pid, SIGKILL);
  if (request_.end_orphans) end_children_except(children_before_);
  watchdog_->run_ended();
}

namespace {

// A close-on-exec socketpair: [0] the harness's end, [1] the child's.
bool open_control(Fd& ours, Fd& child) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return false;
  ours.reset(fds[0]);
  child.reset(fds[1]);
  return true;
}

// Waits for the child's first report when the spawner started it: the
// report, or the spawner's answer first when the clone failed or the spawner
// has gone. Returns the child's pid; -1 with errno: the clone failed;
// nullopt: no spawner any more (the caller forks).
std::optional<pid_t> await_spawned(Spawner& spawner, int control) {
  for (;;) {
    std::array<pollfd, 2> fds{{{control, POLLIN, 0}, {spawner.socket(), POLLIN, 0}}};
    if (poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
    if (fds[0].revents) return 0;                        // the child has spoken: pid from its report
    if (fds[1].revents) {
      // An answer before any report: the clone failed, the child died
      // before Started, or the spawner has gone.
      std::optional<pid_t> pid = spawner.reply();
      if (!pid || *pid < 0) return pid;
      return *pid;
    }
  }
}

}  // namespace

Expected<void> ChildProcess::start() {
  // Everything that allocates happens before the clone.
  const ExecImage image(request_);
  Fd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) return make_error("cannot open /dev/null: {}", std::strerror(errno));
  Pipe out, err, marker;
  Fd control, control_child;
  if (!out.open() || !err.open() || (request_.marker_pipe && !marker.open()) ||
      !open_control(control, control_child)) {
    return make_error("cannot create pipes for the workload: {}", std::strerror(errno));
  }
  RunWatchdog& watchdog = RunWatchdog::instance();
  // Started (once) before the children are listed: it is not an orphan of this run.
  Spawner* spawner = request_.child_setup.empty() && request_.clone_flags == 0 ? Spawner::get() : nullptr;
  children_before_ = child_pids();
  const ChildFds fds{devnull.get(), out.write_end.get(), err.write_end.get(),
                     request_.marker_pipe ? marker.write_end.get() : -1, control_child.get(), control.get()};

  result_.clone_ns = monotonic_ns();
  // 0: the spawner's child, whose pid its first report gives. A forked child
  // may be PID 1 of a new namespace, so there the fork's pid counts.
  pid_t pid = 0;
  std::optional<pid_t> answered;
  if (spawner && spawner->request(request_, fds)) answered = await_spawned(*spawner, control.get());
  if (!answered) {
    pid = clone_child(request_, image, fds);  // no spawner, or it has gone
  } else {
    pid = *answered;
  }
  if (pid < 0) {
    return make_error("cannot start a process{}: {}", request_.clone_flags ? " in new namespaces" : "",
                      std::strerror(errno));
  }
  // Our copy of the child's control end goes, so that its death (or exec) is EOF there.
  control_child.reset();
  out_writer_ = std::move(out.write_end);
  err_writer_ = std::move(err.write_end);
  marker_writer_ = std::move(marker.write_end);

  const StartReport start = read_start(control.get());
  if (pid == 0) pid = start.pid;  // the spawner's child is ours (CLONE_PARENT) and names itself
  if (!start.started) {
    if (pid > 0) {
      int status = 0;
      waitpid(pid, &status, 0);
    }
    reaped_ = true;
    if (start.failure.failed) return Error{describe_exec_failure(request_, start.failure)};
    return make_error("cannot start '{}': the process died before it could exec", request_.program);
  }
  result_.pid = pid;
  setpgid(pid, pid);  // also in the parent, so a kill of the group can never miss
  watchdog.run_started(WatchedRun{pid, run_tag(request_), request_.cgroup_dirs});
  watchdog_ = &watchdog;  // from here on the destructor cleans up
  pidfd_.reset(open_pidfd(pid));
  out_ = std::move(out.read_end);
  err_ = std::move(err.read_end);
  marker_ = std::move(marker.read_end);
  control_ = std::move(control);
  // Harness work before this (clone, cgroup join, affinity, namespaces, the
  // bookkeeping above) is not the workload's time: it takes its time zero
  // after "go", and we do not read its reports again until it is reaped.
  go_ns_ = monotonic_ns();
  send_go(control_.get());  // a child already dead is seen at reap
  return {};
}

void ChildProcess::kill_group() {
  if (!killed_) kill(-result_.pid, SIGKILL);
  killed_ = true;
}

void ChildProcess::reap(int options) {
  int status = 0;
  rusage usage{};
  if (wait4(result_.pid, &status, options, &usage) == result_.pid) {
    result_.end_ns = monotonic_ns();
    result_.wait_status = status;
    result_.usage = usage;
    reaped_ = true;
  }
}

Expected<SpawnResult> ChildProcess::wait(OutputObserver& observer) {
  // From "go": the child's own time zero is read only after it is reaped.
  const int64_t deadline_ns =
      request_.timeout_s ? go_ns_ + static_cast<int64_t>(*request_.timeout_s * 1e9) : INT64_MAX;
  // Interrupted, or alive past its deadline (so about to be killed as timed out).
  auto run_is_over = [&] {
    return interrupt_requested() || (!reaped_ && deadline_ns != INT64_MAX && monotonic_ns() >= deadline_ns);
  };
  OutputCapture capture(std::move(out_), std::move(err_), std::move(marker_), observer, request_.tail_lines,
                        request_.show_output, run_is_over);

  while (!reaped_) {
    if (interrupt_requested() && !killed_) {
      result_.interrupted = true;
      kill_group();
    }
    const int64_t now = monotonic_ns();
    if (now >= deadline_ns && !killed_) {
      result_.timed_out = true;
      kill_group();
    }
    int wait_ms = -1;
    if (deadline_ns != INT64_MAX && !killed_) {
      wait_ms = static_cast<int>(std::min<int64_t>((deadline_ns - now + 999'999) / 1'000'000, INT_MAX));
    }
    if (!pidfd_) wait_ms = wait_ms < 0 ? 5 : std::min(wait_ms, 5);  // no pidfd: poll for the exit

    std::array<pollfd, 4> fds{};
    nfds_t count = capture.add_to_poll(fds.data(), 0);
    const int pid_i = pidfd_ ? static_cast<int>(count) : -1;
    if (pidfd_) fds[count++] = {pidfd_.get(), POLLIN, 0};

    if (poll(fds.data(), count, wait_ms) < 0) continue;  // EINTR: the interrupt check above runs next
    // Reap first, so the end time is not delayed by reading output.
    if (pid_i >= 0 && fds[pid_i].revents) reap(0);
    if (!pidfd_) reap(WNOHANG);
    capture.on_ready(fds.data());
  }
  // Reaped: now the pipes may end (unless the workload's orphans hold them; drain does not wait for those).
  out_writer_.reset();
  err_writer_.reset();
  marker_writer_.reset();
  capture.drain();
  result_.tail = capture.take_tail();
  const ExecOutcome outcome = read_exec_outcome(control_.get());
  if (outcome.failed) return Error{describe_exec_failure(request_, outcome)};
  result_.spawn_ns = outcome.spawn_ns ? outcome.spawn_ns : go_ns_;  // killed before its time zero: from "go"
  return result_;  // the destructor ends the group and the orphans
}

}  // namespace coldbench::proc
