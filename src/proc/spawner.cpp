#include "proc/spawner.hpp"

#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "proc/spawner_protocol.hpp"

namespace coldbench::proc {
namespace {

std::unique_ptr<Spawner> g_spawner;

std::string spawner_path() {
  if (const char* configured = std::getenv("COLDBENCH_SPAWNER")) return configured;
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return {};
  std::string path(self, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/') + 1) + "coldbench-spawner";
}

std::unique_ptr<Spawner> start_spawner(const std::string& path) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return nullptr;
  Fd ours(pair[0]), theirs(pair[1]);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    // It stays in our process group and ignores Ctrl-C there; it dies with us.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(127);
    if (dup2(theirs.get(), kSpawnerSocketFd) < 0) _exit(127);
    execl(path.c_str(), "coldbench-spawner", static_cast<char*>(nullptr));
    _exit(127);
  }
  return std::make_unique<Spawner>(std::move(ours), pid);
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Spawner* Spawner::get() {
  if (g_spawner) return g_spawner.get();
  const std::string path = spawner_path();
  if (path.empty() || path == "off" || access(path.c_str(), X_OK) != 0) return nullptr;
  g_spawner = start_spawner(path);
  return g_spawner.get();
}

void Spawner::stop() { g_spawner.reset(); }

std::string Spawner::program_path() { return spawner_path(); }

Spawner::~Spawner() {
  socket_.reset();  // EOF: it exits
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

bool Spawner::request(const SpawnRequest& request, const ChildFds& fds) {
  while (unanswered_ > 0) {
    if (!reply()) return false;
  }
  std::string payload = request.program;
  payload += '\0';
  payload += request.cwd;
  payload += '\0';
  for (const auto& arg : request.argv) (payload += arg) += '\0';
  for (const auto& entry : request.env) (payload += entry) += '\0';

  SpawnerRequest header;
  header.payload = static_cast<uint32_t>(payload.size());
  header.argc = static_cast<uint32_t>(request.argv.size());
  header.envc = static_cast<uint32_t>(request.env.size());
  int passed[kSpawnerMaxFds] = {fds.devnull, fds.out_w, fds.err_w, fds.control_child, fds.marker_w};
  header.fds = fds.marker_w >= 0 ? 5 : 4;

  char control[CMSG_SPACE(sizeof passed)] = {};
  iovec iov{&header, sizeof header};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = CMSG_SPACE(sizeof(int) * header.fds);
  cmsghdr* c = CMSG_FIRSTHDR(&message);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * header.fds);
  std::memcpy(CMSG_DATA(c), passed, sizeof(int) * header.fds);

  ssize_t sent;
  do {
    sent = sendmsg(socket_.get(), &message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(sizeof header) || !send_all(socket_.get(), payload.data(), payload.size())) {
    stop();  // it has gone: reaped here, restarted at the next run
    return false;
  }
  ++unanswered_;
  return true;
}

std::optional<pid_t> Spawner::reply() {
  SpawnerReply reply;
  ssize_t got;
  do {
    got = recv(socket_.get(), &reply, sizeof reply, MSG_WAITALL);
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(sizeof reply)) {
    stop();
    return std::nullopt;
  }
  --unanswered_;
  if (reply.pid < 0) errno = reply.error;
  return reply.pid;
}

}  // namespace coldbench::proc
