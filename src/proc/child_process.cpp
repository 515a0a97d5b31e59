#include "proc/child_process.hpp"

#include <poll.h>
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

Expected<void> ChildProcess::start() {
  // Everything that allocates happens before the clone.
  const ExecImage image(request_);
  Fd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) return make_error("cannot open /dev/null: {}", std::strerror(errno));
  Pipe out, err, marker, report;
  if (!out.open() || !err.open() || (request_.marker_pipe && !marker.open()) || !report.open()) {
    return make_error("cannot create pipes for the workload: {}", std::strerror(errno));
  }
  RunWatchdog& watchdog = RunWatchdog::instance();
  // Started (once) before the children are listed: it is not an orphan of this run.
  Spawner* spawner = request_.child_setup.empty() && request_.clone_flags == 0 ? Spawner::get() : nullptr;
  children_before_ = child_pids();
  const ChildFds fds{devnull.get(), out.write_end.get(), err.write_end.get(),
                     request_.marker_pipe ? marker.write_end.get() : -1, report.write_end.get(),
                     report.read_end.get()};

  result_.clone_ns = monotonic_ns();
  std::optional<pid_t> from_spawner = spawner ? spawner->spawn(request_, fds) : std::nullopt;
  const pid_t pid = from_spawner ? *from_spawner : clone_child(request_, image, fds);
  if (pid < 0) {
    return make_error("cannot start a process{}: {}", request_.clone_flags ? " in new namespaces" : "",
                      std::strerror(errno));
  }
  result_.pid = pid;
  setpgid(pid, pid);  // also in the parent, so a kill of the group can never miss
  watchdog.run_started(WatchedRun{pid, run_tag(request_), request_.cgroup_dirs});
  watchdog_ = &watchdog;  // from here on the destructor cleans up
  out.write_end.reset();
  err.write_end.reset();
  marker.write_end.reset();
  report.write_end.reset();

  // The child reports the moment it execs; harness work before that (fork,
  // cgroup join, affinity, namespaces) is not the workload's time.
  const ExecOutcome outcome = read_exec_outcome(report.read_end.get());
  if (outcome.failed) {
    int status = 0;
    waitpid(pid, &status, 0);
    reaped_ = true;
    return Error{describe_exec_failure(request_, outcome)};
  }
  result_.spawn_ns = outcome.spawn_ns ? outcome.spawn_ns : monotonic_ns();  // died before reporting: time from now
  pidfd_.reset(open_pidfd(pid));
  out_ = std::move(out.read_end);
  err_ = std::move(err.read_end);
  marker_ = std::move(marker.read_end);
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

SpawnResult ChildProcess::wait(OutputObserver& observer) {
  const int64_t deadline_ns =
      request_.timeout_s ? result_.spawn_ns + static_cast<int64_t>(*request_.timeout_s * 1e9) : INT64_MAX;
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
  capture.drain();
  result_.tail = capture.take_tail();
  return result_;  // the destructor ends the group and the orphans
}

}  // namespace coldbench::proc
