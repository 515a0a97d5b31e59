// coldbench-spawner: starts workloads for the harness from a small address
// space (proc/spawner.hpp says why). It reads requests from fd 3 and, for
// each, clones a child with CLONE_VM|CLONE_VFORK (no page tables copied)
// and CLONE_PARENT (the child is the harness's, which reaps it and gets its
// rusage), then replies with the pid. Static and libc-only: its peak RSS, a
// floor under every workload's ru_maxrss, stays a few hundred KiB.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <initializer_list>

#include "proc/child_start.hpp"
#include "proc/spawner_protocol.hpp"

namespace {

using coldbench::proc::ChildReport;
using coldbench::proc::SpawnerReply;
using coldbench::proc::SpawnerRequest;
namespace child = coldbench::proc::child;

struct Job {
  int fds[coldbench::proc::kSpawnerMaxFds];
  int nfds;
  const char* program;
  const char* cwd;
  char** argv;
  char** envp;
};

// The child, on our memory until it execs (we are suspended meanwhile): only
// async-signal-safe calls that write its own stack, errno and its own fd table
// (CLONE_VM without CLONE_FILES or CLONE_SIGHAND: the fd table and the signal
// dispositions are its own copies). We install no handlers, so none can run here.
int run_child(void* arg) {
  const Job& job = *static_cast<const Job*>(arg);
  child::reset_signals();
  child::set_stdio(job.fds[0], job.fds[1], job.fds[2], job.nfds > 4 ? job.fds[4] : -1);
  if (job.cwd[0] != '\0' && chdir(job.cwd) != 0) child::fail(job.fds[3], -2, errno);  // fds[3]: control
  child::exec(job.fds[3], job.program, job.argv, job.envp);
}

bool read_exactly(int fd, void* data, size_t size) {
  auto* bytes = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = read(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Receives the header and its fds; false at EOF or on a malformed request.
bool receive_header(int sock, SpawnerRequest& header, Job& job) {
  char control[CMSG_SPACE(sizeof(int) * coldbench::proc::kSpawnerMaxFds)];
  iovec iov{&header, sizeof header};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(sock, &message, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof header) || header.magic != coldbench::proc::kSpawnerMagic) return false;
  job.nfds = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const int count = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < count && job.nfds < coldbench::proc::kSpawnerMaxFds; ++i) {
      memcpy(&job.fds[job.nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
  }
  return job.nfds == static_cast<int>(header.fds) && job.nfds >= 4;
}

// Points argv/envp into the payload's strings; false when they do not add up.
bool parse_payload(char* payload, size_t size, const SpawnerRequest& header, char** pointers, Job& job) {
  size_t wanted = 2 + header.argc + header.envc, found = 0;
  char* start = payload;
  const char* strings[2];
  for (size_t i = 0; i < size && found < wanted; ++i) {
    if (payload[i] != '\0') continue;
    if (found < 2) {
      strings[found] = start;
    } else {
      const size_t slot = found - 2;
      pointers[slot < header.argc ? slot : slot + 1] = start;
    }
    ++found;
    start = payload + i + 1;
  }
  if (found != wanted) return false;
  job.program = strings[0];
  job.cwd = strings[1];
  job.argv = pointers;
  job.argv[header.argc] = nullptr;
  job.envp = pointers + header.argc + 1;
  job.envp[header.envc] = nullptr;
  return true;
}

}  // namespace

int main() {
  const int sock = coldbench::proc::kSpawnerSocketFd;
  fcntl(sock, F_SETFD, FD_CLOEXEC);
  // Only our socket: whatever else the harness had open stays out of the workloads.
  syscall(SYS_close_range, sock + 1, ~0U, 0);
  // Ctrl-C reaches the harness's process group, which we are in: the harness decides.
  for (int sig : {SIGINT, SIGTERM, SIGQUIT, SIGPIPE}) signal(sig, SIG_IGN);

  static char stack[64 * 1024] __attribute__((aligned(16)));  // the child's, until it execs
  char* payload = nullptr;
  char** pointers = nullptr;
  size_t payload_capacity = 0, pointer_capacity = 0;
  for (;;) {
    SpawnerRequest header;
    Job job{};
    if (!receive_header(sock, header, job)) return 0;  // the harness has gone (or speaks another version)
    const size_t pointers_needed = header.argc + header.envc + 2;
    if (header.payload + 1 > payload_capacity) {
      payload_capacity = header.payload + 1;
      payload = static_cast<char*>(realloc(payload, payload_capacity));
    }
    if (pointers_needed > pointer_capacity) {
      pointer_capacity = pointers_needed;
      pointers = static_cast<char**>(realloc(pointers, pointer_capacity * sizeof(char*)));
    }
    if (!payload || !pointers || !read_exactly(sock, payload, header.payload)) return 1;
    SpawnerReply reply;
    if (!parse_payload(payload, header.payload, header, pointers, job)) {
      reply.error = EINVAL;
    } else {
      reply.pid = clone(run_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, &job);
      if (reply.pid < 0) reply.error = errno;
    }
    for (int i = 0; i < job.nfds; ++i) close(job.fds[i]);
    if (write(sock, &reply, sizeof reply) != static_cast<ssize_t>(sizeof reply)) return 1;
  }
}
