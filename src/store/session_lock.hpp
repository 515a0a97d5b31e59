#pragma once
// One process at a time runs a session. Two `sweep --resume` of one session
// would otherwise run its remaining runs side by side, disturbing each
// other's measurements, and race to record them.
//
// The locks are POSIX record locks on a sidecar file next to the database
// ("<db>.lock"): byte 0 while a process chooses or creates a session, byte N
// while it runs session N. The kernel drops a lock when its holder exits in
// any way, kill -9 included, so no stale lock outlives a crash and nothing
// has to guess whether a recorded pid is still the same process (a row in a
// locks table would); F_GETLK names the holder for the message.

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "core/expected.hpp"
#include "core/fd.hpp"

namespace coldbench::store {

// The sidecar file's path for a database path.
std::string session_lock_path(const std::string& db_path);

class SessionLocks {
 public:
  // Opens (creating it if needed) the lock file of the database at `db_path`.
  static Expected<SessionLocks> open(const std::string& db_path);

  // While one lives, no other process chooses or creates a session of this
  // database, so a session cannot be taken between being found and locked.
  class Choosing {
   public:
    explicit Choosing(int fd) : fd_(fd) {}
    Choosing(Choosing&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Choosing(const Choosing&) = delete;
    Choosing& operator=(const Choosing&) = delete;
    ~Choosing();

   private:
    int fd_;
  };
  // Waits for other processes to finish choosing (milliseconds).
  Expected<Choosing> choose();

  // Locks session `id` for as long as this object lives. Fails at once, naming
  // the process that holds it, when another process runs that session.
  Expected<void> lock(int64_t session_id);

  // The pid of the process holding session `id`'s lock: 0 when free, -1 when
  // held by a process not visible from here (another PID namespace).
  Expected<pid_t> holder(int64_t session_id) const;

  const std::string& path() const { return path_; }

 private:
  SessionLocks(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  // POSIX locks belong to the process and are all dropped when it closes ANY
  // descriptor of the file: this is the only one we open.
  Fd fd_;
  std::string path_;
};

}  // namespace coldbench::store
