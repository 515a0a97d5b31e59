#include "proc/child_exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proc/child_start.hpp"

namespace coldbench::proc {
static_assert(kMarkerFd == child::kMarkerFdInChild);
namespace {

struct ChildArgs {
  const SpawnRequest* request;
  const ExecImage* image;
  const ChildFds* fds;
};

// Runs in the child: everything here must be async-signal-safe.
[[noreturn]] void run_child(const ChildArgs& args) {
  const SpawnRequest& request = *args.request;
  const ChildFds& fds = *args.fds;
  child::reset_signals();
  // Our copy of the harness's end goes, so that the harness's is the only
  // one and a write below fails once the harness is gone.
  close(fds.control);
  child::set_stdio(fds.devnull, fds.out_w, fds.err_w, fds.marker_w);
  for (std::size_t i = 0; i < request.child_setup.size(); ++i) {
    int error = request.child_setup[i]->apply_in_child();
    if (error != 0) child::fail(fds.control_child, static_cast<int>(i), error);
  }
  if (!request.cwd.empty() && chdir(request.cwd.c_str()) != 0) child::fail(fds.control_child, -2, errno);
  child::exec(fds.control_child, request.program.c_str(), args.image->argv.data(), args.image->envp.data());
}

int child_entry(void* arg) { run_child(*static_cast<const ChildArgs*>(arg)); }

}  // namespace

ExecImage::ExecImage(const SpawnRequest& request) {
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : request.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
}

pid_t clone_child(const SpawnRequest& request, const ExecImage& image, const ChildFds& fds) {
  const ChildArgs args{&request, &image, &fds};
  pid_t pid;
  if (request.clone_flags == 0) {
    // fork, not vfork: a vfork child runs on our address space until exec,
    // and the kernel records that address space's peak RSS as the child's
    // (ru_maxrss), so every small workload would report the harness's peak;
    // and setup steps may allocate. Requests without steps avoid this fork
    // through the spawner (spawner.hpp).
    pid = fork();
  } else {
    // The raw clone syscall without CLONE_VM behaves like fork (child gets 0).
    pid = static_cast<pid_t>(syscall(SYS_clone, request.clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  }
  if (pid == 0) child_entry(const_cast<ChildArgs*>(&args));
  return pid;
}

namespace {

// One whole report, false at EOF (or a short read: a child that died mid-write).
bool read_report(int control, ChildReport& report) {
  ssize_t got;
  do {
    got = ::read(control, &report, sizeof report);
  } while (got < 0 && errno == EINTR);
  return got == static_cast<ssize_t>(sizeof report);
}

ExecOutcome failure_of(const ChildReport& report) {
  ExecOutcome outcome;
  outcome.failed = true;
  outcome.stage = report.stage;
  outcome.error = report.error;
  return outcome;
}

}  // namespace

StartReport read_start(int control) {
  StartReport start;
  ChildReport report{};
  if (!read_report(control, report)) return start;
  start.pid = report.pid;
  if (report.kind == ChildReport::Started) {
    start.started = true;
  } else if (report.kind == ChildReport::Failure) {
    start.failure = failure_of(report);
  }
  return start;
}

bool send_go(int control) {
  const char go = 1;
  ssize_t sent;
  do {
    sent = ::send(control, &go, 1, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent == 1;
}

ExecOutcome read_exec_outcome(int control, int timeout_ms) {
  ExecOutcome outcome;
  for (;;) {
    pollfd ready{control, POLLIN, 0};
    int n;
    do {
      n = ::poll(&ready, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    ChildReport report{};
    if (n <= 0 || !read_report(control, report)) return outcome;  // EOF: exec'd (or died)
    if (report.kind == ChildReport::AboutToExec) outcome.spawn_ns = report.t_ns;
    if (report.kind == ChildReport::Failure) {
      const int64_t spawn_ns = outcome.spawn_ns;
      outcome = failure_of(report);
      outcome.spawn_ns = spawn_ns;
      return outcome;
    }
  }
}

std::string describe_exec_failure(const SpawnRequest& request, const ExecOutcome& outcome) {
  if (outcome.stage == -1) return fmt::format("cannot start '{}': {}", request.program, std::strerror(outcome.error));
  if (outcome.stage == -2) {
    return fmt::format("cannot change to directory '{}': {}", request.cwd, std::strerror(outcome.error));
  }
  return fmt::format("cannot start '{}': {} failed: {}", request.program,
                     request.child_setup[outcome.stage]->describe(), std::strerror(outcome.error));
}

}  // namespace coldbench::proc
