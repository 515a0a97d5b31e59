// coldbench-entry: the entry point of every containerised run. The harness
// mounts this static binary into the container and makes it the entrypoint,
// so each run's time splits at a marker the container itself sets:
// spawn -> `container_ready` (the engine's start) -> the workload's phases ->
// `workload_exited` -> the client's exit (the engine's teardown).
//
// Before the workload it reports, as info markers, the limits the container
// sees from inside (its own cgroup files and rlimits): what the engine was
// asked for is confirmed, not assumed. It then stays as the container's init
// (pid 1): it runs the workload as its child, forwards termination signals,
// reaps, and reports what only the inside can see: OOM kills in the
// container's cgroup, the workload's own peak RSS and CPU time, a death by
// signal. It exits with the workload's exit code (128 + signal when killed).
//
// Markers go to stdout as "@coldbench " lines when COLDBENCH_MARKERS=stdout
// (the harness sets it); without it the entry only runs the workload.

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "coldbench/marker.hpp"

namespace {

namespace marker = coldbench::marker;

pid_t g_child = -1;

std::optional<std::string> read_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

// "NAME VALUE" lines (memory.events, memory.oom_control): VALUE of NAME.
std::optional<long long> read_keyed(const char* path, const std::string& name) {
  std::ifstream in(path);
  std::string key;
  long long value = 0;
  while (in >> key >> value) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// Numbers from cgroup files; nullopt for anything else (never an exception).
std::optional<long long> to_integer(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text->c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return value;
}

bool exists(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0;
}

// cgroup v2 inside (one hierarchy at /sys/fs/cgroup), else v1 per controller.
bool unified() { return exists("/sys/fs/cgroup/cgroup.controllers"); }

// OOM kills so far in the container's cgroup, where the kernel counts them.
std::optional<long long> oom_kills(bool v2) {
  if (v2) return read_keyed("/sys/fs/cgroup/memory.events", "oom_kill");
  return read_keyed("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill");
}

// A v1 "no limit" is the page-rounded LLONG_MAX; anything that large is none.
constexpr long long kNoMemoryLimit = 1LL << 60;

void report_limits(bool v2) {
  marker::info("container.cgroup", v2 ? "v2" : "v1");
  if (v2) {
    if (auto max = read_line("/sys/fs/cgroup/cpu.max")) {
      std::istringstream in(*max);
      std::string quota_text, period_text;
      in >> quota_text >> period_text;
      const auto quota = to_integer(quota_text);
      const auto period = to_integer(period_text);
      if (quota && period && *quota > 0 && *period > 0) {
        marker::info("container.cpus", static_cast<double>(*quota) / static_cast<double>(*period));
      }
    }
    if (auto cpus = read_line("/sys/fs/cgroup/cpuset.cpus.effective")) marker::info("container.cpuset", *cpus);
    if (auto memory = to_integer(read_line("/sys/fs/cgroup/memory.max"))) {
      marker::info("container.memory_limit_bytes", *memory);  // "max" (none) is no integer
    }
  } else {
    const auto quota = to_integer(read_line("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"));
    const auto period = to_integer(read_line("/sys/fs/cgroup/cpu/cpu.cfs_period_us"));
    if (quota && period && *quota > 0 && *period > 0) {  // -1: no quota
      marker::info("container.cpus", static_cast<double>(*quota) / static_cast<double>(*period));
    }
    auto cpus = read_line("/sys/fs/cgroup/cpuset/cpuset.effective_cpus");
    if (!cpus || cpus->empty()) cpus = read_line("/sys/fs/cgroup/cpuset/cpuset.cpus");
    if (cpus) marker::info("container.cpuset", *cpus);
    const auto memory = to_integer(read_line("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    if (memory && *memory < kNoMemoryLimit) marker::info("container.memory_limit_bytes", *memory);
  }
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    marker::info("container.nofile", std::to_string(nofile.rlim_cur) + ":" + std::to_string(nofile.rlim_max));
  }
}

void forward(int signal) {
  if (g_child > 0) kill(g_child, signal);
}

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr,
                 "usage: coldbench-entry PROGRAM [ARGS...]\n"
                 "The entry point coldbench mounts into containerised runs (docs/isolation.md): it reports\n"
                 "the limits seen inside, marks container_ready, runs PROGRAM and reports how it ended.\n");
    return argc < 2 ? 127 : 0;
  }
  const bool v2 = unified();
  report_limits(v2);
  const std::optional<long long> oom_before = oom_kills(v2);

  // Signals that arrive between fork and the handlers are held, not lost.
  sigset_t forwarded, previous;
  sigemptyset(&forwarded);
  for (int signal : kForwarded) sigaddset(&forwarded, signal);
  sigprocmask(SIG_BLOCK, &forwarded, &previous);

  marker::phase("container_ready");
  g_child = fork();
  if (g_child < 0) {
    std::fprintf(stderr, "coldbench-entry: cannot start %s: %s\n", argv[1], strerror(errno));
    return 127;
  }
  if (g_child == 0) {
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    execvp(argv[1], argv + 1);
    std::fprintf(stderr, "coldbench-entry: cannot execute %s: %s\n", argv[1], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  struct sigaction action {};
  action.sa_handler = forward;
  sigemptyset(&action.sa_mask);
  for (int signal : kForwarded) sigaction(signal, &action, nullptr);
  sigprocmask(SIG_SETMASK, &previous, nullptr);

  // As pid 1 we also reap the workload's orphans; only our child ends the run.
  int status = 0;
  rusage usage{};
  for (;;) {
    int reaped_status = 0;
    rusage reaped_usage{};
    const pid_t pid = wait4(-1, &reaped_status, 0, &reaped_usage);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;
    if (pid == g_child) {
      status = reaped_status;
      usage = reaped_usage;
      break;
    }
  }
  // The workload's end inside: what follows until the client exits is the engine's teardown.
  marker::phase("workload_exited");
  const std::optional<long long> oom_after = oom_kills(v2);
  if (oom_before && oom_after) marker::info("container.oom_kills", *oom_after - *oom_before);
  marker::info("container.workload.max_rss_kb", static_cast<long long>(usage.ru_maxrss));
  const double user_ms = usage.ru_utime.tv_sec * 1e3 + usage.ru_utime.tv_usec / 1e3;
  const double system_ms = usage.ru_stime.tv_sec * 1e3 + usage.ru_stime.tv_usec / 1e3;
  marker::info("container.workload.user_ms", user_ms);
  marker::info("container.workload.system_ms", system_ms);
  marker::info("container.workload.cpu_ms", user_ms + system_ms);
  if (WIFSIGNALED(status)) {
    marker::info("container.workload.signal", WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
