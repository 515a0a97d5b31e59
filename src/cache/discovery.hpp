#pragma once
// Discovery of the files a workload uses: one traced run (ptrace over the
// whole process tree: forks, vforks, threads, execs) that records every
// regular file successfully opened (open, openat, openat2; mmap of a file
// needs an open first) or executed (execve, execveat), as absolute paths.

#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::cache {

struct DiscoveryRequest {
  std::string program;            // resolved path, as for proc::SpawnRequest
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // complete environment, "K=V"
  std::string cwd;                // empty: inherit
  std::optional<double> timeout_s;
  bool show_output = false;  // otherwise the workload's stdout/stderr go to /dev/null
};

struct DiscoveryResult {
  std::vector<std::string> files;  // absolute, regular, existing at the end; sorted, each once
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool timed_out = false;
  int processes = 0;  // processes and threads traced
  double wall_ms = 0;

  bool succeeded() const { return exit_code == 0 && !timed_out; }
  std::string describe_outcome() const;  // "exited with code 0", "killed by signal 9", "timed out"
};

// Runs the workload once under ptrace, to completion. Descendants left when
// the first process exits are killed, as after a measured run. Errors: the
// workload cannot start, the kernel lacks PTRACE_GET_SYSCALL_INFO (< 5.3), or
// tracing is forbidden here (Yama ptrace_scope 3, a seccomp policy).
// Interrupted by SIGINT/SIGTERM (proc::install_interrupt_handler): an Error
// with kExitInterrupted.
Expected<DiscoveryResult> discover_files(const DiscoveryRequest& request);

}  // namespace coldbench::cache
