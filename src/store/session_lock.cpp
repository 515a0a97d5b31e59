#include "store/session_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace coldbench::store {
namespace {

constexpr off_t kChoosingByte = 0;  // session ids start at 1

struct flock byte_lock(short type, off_t byte) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = byte;
  lock.l_len = 1;
  return lock;
}

}  // namespace

std::string session_lock_path(const std::string& db_path) { return db_path + ".lock"; }

Expected<SessionLocks> SessionLocks::open(const std::string& db_path) {
  std::string path = session_lock_path(db_path);
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return make_error("cannot open the session lock file '{}': {} (it lives next to the history database)", path,
                      std::strerror(errno));
  }
  return SessionLocks(std::move(fd), std::move(path));
}

SessionLocks::Choosing::~Choosing() {
  if (fd_ < 0) return;
  struct flock unlock = byte_lock(F_UNLCK, kChoosingByte);
  fcntl(fd_, F_SETLK, &unlock);
}

Expected<SessionLocks::Choosing> SessionLocks::choose() {
  struct flock lock = byte_lock(F_WRLCK, kChoosingByte);
  while (fcntl(fd_.get(), F_SETLKW, &lock) != 0) {
    if (errno == EINTR) continue;
    return make_error("cannot lock '{}': {}", path_, std::strerror(errno));
  }
  return Choosing(fd_.get());
}

Expected<pid_t> SessionLocks::holder(int64_t session_id) const {
  struct flock probe = byte_lock(F_WRLCK, static_cast<off_t>(session_id));
  if (fcntl(fd_.get(), F_GETLK, &probe) != 0) {
    return make_error("cannot read the locks of '{}': {}", path_, std::strerror(errno));
  }
  if (probe.l_type == F_UNLCK) return pid_t{0};
  return probe.l_pid > 0 ? probe.l_pid : pid_t{-1};
}

Expected<void> SessionLocks::lock(int64_t session_id) {
  Expected<pid_t> pid = pid_t{0};
  // Twice: the holder may let go between our attempt and the question who it is.
  for (int attempt = 0; attempt < 2 && pid && *pid == 0; ++attempt) {
    struct flock lock = byte_lock(F_WRLCK, static_cast<off_t>(session_id));
    if (fcntl(fd_.get(), F_SETLK, &lock) == 0) return {};
    if (errno != EACCES && errno != EAGAIN) {
      return make_error("cannot lock session {} in '{}': {}", session_id, path_, std::strerror(errno));
    }
    pid = holder(session_id);
  }
  if (!pid) return pid.error();
  std::string who = *pid > 0 ? fmt::format("process {}", *pid) : std::string("another process");
  return make_error("session {} is being run by {} (it holds the lock in '{}'); wait for it to finish, or stop it, "
                    "before resuming",
                    session_id, who, path_);
}

}  // namespace coldbench::store
