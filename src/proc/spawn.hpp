#pragma once
// Starting workloads: what a run asks for (SpawnRequest) and what it gives
// back (SpawnResult). Every workload the harness measures or probes is started
// by proc::ChildProcess (child_process.hpp), here wrapped as spawn_and_wait:
// fork/exec (or clone with namespace flags) in its own process group, stdin
// from /dev/null, stdout/stderr captured line by line, an optional marker pipe
// (COLDBENCH_FD), a timeout that kills the whole group, and wait4 rusage.
// Hooks run in the child between clone and exec (join a cgroup, set affinity,
// set up a sandbox). Two places clone on their own, for reasons given there:
// cache discovery's tracer (ptrace of every task, cache/discovery.cpp) and
// the sandbox probe (setup steps without exec, isolate/sandbox_probe.cpp).
//
// Nothing of a run outlives it or the harness: the workload dies with the
// harness (PR_SET_PDEATHSIG); when the run ends, its process group and every
// descendant orphaned to us (we are a child subreaper) are killed and reaped;
// if the harness dies mid-run, its watchdog (proc/watchdog.hpp) ends the rest.

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::proc {

// The fd number the marker pipe gets in the child (COLDBENCH_FD=3).
inline constexpr int kMarkerFd = 3;

// Work done in the child after clone and before exec (join a cgroup, set
// affinity, mount a sandbox). The harness is single-threaded, so the child may
// allocate, but keep it to plain system calls. Returns 0 or an errno value.
// By the time steps run, fds 0-3 are the workload's stdin/stdout/stderr and
// marker pipe: a step's own fds must be >= 10 (F_DUPFD_CLOEXEC). This time is
// reported as SpawnResult::setup_ms and is not part of the run's wall time.
class ChildSetup {
 public:
  virtual ~ChildSetup() = default;
  virtual int apply_in_child() noexcept = 0;
  // What the step does, for the error message when it fails ("joining cgroup /sys/...").
  virtual std::string describe() const = 0;
};

enum class Stream { Stdout, Stderr };

// Receives what the child writes, line by line, as it arrives.
class OutputObserver {
 public:
  virtual ~OutputObserver() = default;
  virtual void on_marker_line(std::string_view line, int64_t received_ns) = 0;
  // Returns false to hide the line from the output tail and --show-output
  // (used for "@coldbench " marker lines on stdout).
  virtual bool on_output_line(Stream stream, std::string_view line, int64_t received_ns) = 0;
};

// A process to start: what to run, with what, and how.
struct SpawnRequest;

// The same workload started directly on the host: what a tool that traces the
// workload's file accesses runs instead of an engine's client. Set by a
// container hook only where the container sees the host's files at the same
// paths (docs/isolation.md, the host image).
struct HostEquivalent {
  std::string program;  // resolved on the host
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
};

struct SpawnRequest {
  std::string program;             // resolved path (see resolve_program)
  std::vector<std::string> argv;   // argv[0] included
  std::vector<std::string> env;    // complete environment, "K=V"
  std::string cwd;                 // empty: inherit
  std::optional<double> timeout_s;
  bool marker_pipe = true;         // give the child COLDBENCH_FD (the caller adds it to env)
  bool show_output = false;        // copy the child's output to ours as it arrives
  unsigned long clone_flags = 0;   // CLONE_NEW* namespaces; 0 = plain fork
  std::vector<ChildSetup*> child_setup;  // applied in order in the child
  std::vector<std::string> cgroup_dirs;  // cgroups holding the run: the watchdog empties them if we die
  std::size_t tail_lines = 20;     // how many output lines to keep
  // Whether the run's orphans (reparented to the subreaper harness) are killed
  // when it ends. False for container clients: their orphan is the engine's
  // monitor (conmon), which must outlive the client to clean up; the caller
  // waits for it (wait_for_children_except).
  bool end_orphans = true;
  std::optional<HostEquivalent> host_equivalent;  // containers whose files are the host's
};

struct SpawnResult {
  pid_t pid = -1;
  int64_t clone_ns = 0;  // CLOCK_MONOTONIC just before clone
  int64_t spawn_ns = 0;  // CLOCK_MONOTONIC in the child right before execve: the run's time zero
  int64_t end_ns = 0;    // CLOCK_MONOTONIC right after reaping
  int wait_status = 0;
  rusage usage{};
  bool timed_out = false;
  bool interrupted = false;  // SIGINT/SIGTERM reached the harness during the run
  std::deque<std::string> tail;  // last lines of stdout and stderr, interleaved as received

  double wall_ms() const { return double(end_ns - spawn_ns) / 1e6; }
  // Harness work between clone and exec (fork, child setup steps); not in wall.
  double setup_ms() const { return double(spawn_ns - clone_ns) / 1e6; }
  std::string tail_text() const;
};

// Runs one process to completion (ChildProcess start + wait). An Error means it could not be started
// (exec failed, a child setup step failed): the caller should stop, since the
// next run would fail the same way. Everything else, including crashes and
// timeouts, is a SpawnResult.
Expected<SpawnResult> spawn_and_wait(const SpawnRequest& request, OutputObserver& observer);

// Finds `name` like execvp would, in `path_value` (a PATH string) when it has no
// slash; relative paths with a slash resolve against `cwd` (empty: our own).
Expected<std::string> resolve_program(const std::string& name, const std::string& path_value,
                                      const std::string& cwd);

// In a freshly forked child, before exec: its own process group (so a timeout
// can kill the whole tree), no blocked signals and default dispositions for
// the ones the harness handles. Async-signal-safe.
void reset_child_signals() noexcept;

// Set by SIGINT/SIGTERM while a harness session runs (see install_interrupt_handler).
bool interrupt_requested();
void install_interrupt_handler();
void clear_interrupt();

}  // namespace coldbench::proc
