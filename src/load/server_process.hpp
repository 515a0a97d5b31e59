#pragma once
// A server that `coldbench load -- COMMAND...` starts itself: its stdout and
// stderr go to a log file (kept), readiness is its "ready http://HOST:PORT"
// line (coldbench-torch serve prints one) or a URL that answers 2xx, waited
// for within a bound; at the end it gets SIGTERM, then SIGKILL if it lingers.

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/expected.hpp"
#include "load/target_url.hpp"

namespace coldbench::load {

class ServerProcess {
 public:
  static Expected<ServerProcess> start(const std::vector<std::string>& argv,
                                       const std::string& log_path);
  ServerProcess(ServerProcess&& other) noexcept;
  ServerProcess& operator=(ServerProcess&&) = delete;
  ~ServerProcess();

  // Until the log has a line "... ready http://HOST:PORT" (returns "http://HOST:PORT"),
  // or with `ready_url` non-empty until that URL answers 2xx (returns its origin).
  // An exit or `timeout_s` passing first is an error that quotes the log's tail.
  Expected<std::string> wait_ready(const std::string& ready_url, double timeout_s);
  // SIGTERM to its process group, up to `grace_s` for it to exit, then SIGKILL.
  // Returns how it ended, in words ("exit 0", "signal 15").
  std::string stop(double grace_s = 10);

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

 private:
  ServerProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  bool exited(std::string& how);
  std::string log_tail() const;

  pid_t pid_ = -1;
  std::string log_path_;
};

// One GET to `url` with a short timeout: its status, or 0 when nothing answered.
int probe_status(const TargetUrl& url, const ResolvedAddress& address, double timeout_s);

}  // namespace coldbench::load
