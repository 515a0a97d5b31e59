#pragma once
// The cgroup filesystem operations coldbench performs, behind one small
// interface: the real one uses system calls; unit tests substitute a model
// of the kernel's rules (controllers, no internal processes, busy rmdir) so
// the v1 and v2 backends are tested on any host.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coldbench::limits {

class CgroupFs {
 public:
  virtual ~CgroupFs() = default;
  // The file's text, or nullopt with errno-style `error` set.
  virtual std::optional<std::string> read(const std::string& path, int* error = nullptr) const = 0;
  // 0 or an errno value. Cgroup files take one write per value.
  virtual int write(const std::string& path, std::string_view text) = 0;
  virtual bool exists(const std::string& path) const = 0;
  virtual int make_dir(const std::string& path) = 0;    // 0 or errno (EEXIST too)
  virtual int remove_dir(const std::string& path) = 0;  // 0 or errno
  virtual std::vector<std::string> subdirectories(const std::string& path) const = 0;
  // SIGKILL every process in the cgroup (cgroup.kill where the kernel has it).
  virtual void kill_members(const std::string& dir) = 0;
  // Whether process `pid` is running a program named `comm` (/proc/PID/comm).
  virtual bool process_running(pid_t pid, std::string_view comm) const = 0;
  virtual pid_t own_pid() const = 0;
  virtual std::string own_comm() const = 0;  // our /proc/self/comm
  virtual bool is_root() const = 0;          // effective uid 0
  virtual void pause_briefly() = 0;          // between retries of a busy rmdir
};

// System calls on the real filesystem.
CgroupFs& real_cgroup_fs();

// The pids listed in a cgroup.procs text.
std::vector<pid_t> parse_pids(std::string_view text);

}  // namespace coldbench::limits
