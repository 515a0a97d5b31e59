#include "proc/watchdog.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>

#include "proc/descendants.hpp"

namespace coldbench::proc {
namespace {

constexpr int kWatchdogFd = 3;
constexpr int kKillRounds = 50;             // x 20 ms: forks racing our kills get caught in a later round
constexpr std::size_t kMaxMessage = 65536;  // a datagram: the run's tag and cgroup paths

void close_all_from(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
#endif
  long limit = sysconf(_SC_OPEN_MAX);
  if (limit < 0 || limit > 65536) limit = 65536;
  for (int fd = first; fd < limit; ++fd) close(fd);
}

// cgroup.kill (Linux 5.14, v2) ends every member at once; else each pid in cgroup.procs.
void kill_cgroup(const std::string& dir) {
  if (int fd = open((dir + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC); fd >= 0) {
    bool killed = write(fd, "1", 1) == 1;
    close(fd);
    if (killed) return;
  }
  std::ifstream procs(dir + "/cgroup.procs");
  pid_t pid = 0;
  while (procs >> pid) kill(pid, SIGKILL);
}

// The harness is gone and `run` was in progress: end everything of it we can find.
void end_run(const WatchedRun& run) {
  const pid_t self = getpid();
  if (run.pgid > 0) kill(-run.pgid, SIGKILL);
  for (int round = 0; round < kKillRounds; ++round) {
    for (const auto& dir : run.cgroup_dirs) kill_cgroup(dir);
    auto tagged = [&](pid_t pid) { return !run.tag.empty() && pid != self && environ_has(pid, run.tag); };
    std::vector<pid_t> alive = run_processes(read_process_table(), run.pgid, tagged);
    std::erase(alive, self);
    if (alive.empty()) return;
    for (pid_t pid : alive) kill(pid, SIGKILL);
    usleep(20'000);
  }
}

[[noreturn]] void watchdog_main(int socket_fd) {
  // Its own session: the terminal's ^C and hangup go to the harness, whose
  // death is what this process waits for.
  setsid();
  for (int sig : {SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU}) signal(sig, SIG_IGN);
  prctl(PR_SET_NAME, "cb-watchdog", 0, 0, 0);
  // Keep only the socket: a copy of a pipe the harness's caller reads (its
  // stdout) would keep that caller waiting for us.
  // The socket is parked high first, so that neither /dev/null nor stdio can land on it.
  int parked = fcntl(socket_fd, F_DUPFD, 64);
  if (parked < 0) _exit(1);
  close(socket_fd);
  int devnull = open("/dev/null", O_RDWR);
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (devnull >= 0 && devnull != fd) dup2(devnull, fd);
  }
  if (devnull > STDERR_FILENO) close(devnull);
  dup2(parked, kWatchdogFd);
  close(parked);
  close_all_from(kWatchdogFd + 1);

  const pid_t self = getpid();
  ::send(kWatchdogFd, &self, sizeof self, MSG_NOSIGNAL);

  WatchedRun current;
  bool in_run = false;
  std::string buffer(kMaxMessage, '\0');
  while (true) {
    ssize_t n = recv(kWatchdogFd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the harness has exited, one way or another
    WatchedRun run;
    bool started = false;
    if (!decode_message(buffer.substr(0, static_cast<std::size_t>(n)), run, started)) continue;
    in_run = started;
    current = started ? std::move(run) : WatchedRun{};
  }
  if (in_run) end_run(current);
  _exit(0);
}

}  // namespace

std::string encode_run_started(const WatchedRun& run) {
  std::string message = "start\n" + std::to_string(run.pgid) + "\n" + run.tag + "\n";
  for (const auto& dir : run.cgroup_dirs) message += dir + "\n";
  return message;
}

bool decode_message(const std::string& message, WatchedRun& run, bool& started) {
  if (message == "end\n") {
    started = false;
    return true;
  }
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < message.size()) {
    std::size_t end = message.find('\n', start);
    if (end == std::string::npos) return false;  // every line is terminated
    lines.push_back(message.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() < 3 || lines[0] != "start") return false;
  char* end = nullptr;
  long pgid = std::strtol(lines[1].c_str(), &end, 10);
  if (lines[1].empty() || *end != '\0' || pgid <= 0 || pgid > INT_MAX) return false;
  run.pgid = static_cast<pid_t>(pgid);
  run.tag = lines[2];
  run.cgroup_dirs.assign(lines.begin() + 3, lines.end());
  started = true;
  return true;
}

RunWatchdog& RunWatchdog::instance() {
  static RunWatchdog watchdog;
  return watchdog;
}

RunWatchdog::RunWatchdog() {
  // As PID 1 (coldbench as a container's command) our death ends the whole
  // PID namespace, and orphans come to us anyway: nothing to add.
  if (getpid() == 1) return;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    become_subreaper();
    return;
  }
  Fd ours(pair[0]), theirs(pair[1]);
  // Forked twice so that it is not our child: a tracer's waitpid(-1) in the
  // cache discovery, and the run-end sweep of our children, must not see it.
  pid_t middle = fork();
  if (middle == 0) {
    ours.reset();
    if (fork() == 0) watchdog_main(theirs.get());
    _exit(0);
  }
  theirs.reset();
  if (middle > 0) {
    while (waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_t watchdog = 0;
    ssize_t got;
    do {
      got = recv(ours.get(), &watchdog, sizeof watchdog, 0);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof watchdog)) {
      pid_ = watchdog;
      socket_ = std::move(ours);
    }
  }
  // Only now: had we been a subreaper before, the watchdog would have become our child.
  become_subreaper();
}

void RunWatchdog::send(const std::string& message) {
  if (!socket_) return;
  // Never block a run or die of SIGPIPE for the watchdog's sake: it is best effort.
  ::send(socket_.get(), message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void RunWatchdog::run_started(const WatchedRun& run) { send(encode_run_started(run)); }

void RunWatchdog::run_ended() { send("end\n"); }

}  // namespace coldbench::proc
