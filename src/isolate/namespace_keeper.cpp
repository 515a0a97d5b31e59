#include "isolate/namespace_keeper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace coldbench::isolate {
namespace {

class SendMountNamespaceStep : public proc::ChildSetup {
 public:
  explicit SendMountNamespaceStep(const Fd& socket) : socket_(socket) {}

  int apply_in_child() noexcept override {
    if (!socket_) return 0;
    int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (ns < 0) return 0;
    char byte = 'n';
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &ns, sizeof ns);
    ssize_t sent = sendmsg(socket_.get(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)sent;  // not sent: the namespace is torn down at exit, as without the keeper
    close(ns);
    return 0;
  }
  std::string describe() const override {
    return "handing the run's mount namespace to the harness";
  }

 private:
  const Fd& socket_;
};

}  // namespace

MountNamespaceKeeper::MountNamespaceKeeper()
    : step_(std::make_unique<SendMountNamespaceStep>(child_end_)) {}

MountNamespaceKeeper::~MountNamespaceKeeper() {
  release();
}

Expected<void> MountNamespaceKeeper::arm() {
  release();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return make_error("--isolate sandbox: cannot create a socket pair: {}", std::strerror(errno));
  }
  parent_end_.reset(fds[0]);
  child_end_.reset(fds[1]);
  return {};
}

bool MountNamespaceKeeper::holding() const {
  if (!parent_end_) return false;
  pollfd ready{parent_end_.get(), POLLIN, 0};
  return poll(&ready, 1, 0) == 1 && (ready.revents & POLLIN);
}

void MountNamespaceKeeper::release() {
  // Closing the receiving end discards the in-flight descriptor, and with it
  // the last reference to the namespace.
  child_end_.reset();
  parent_end_.reset();
}

}  // namespace coldbench::isolate
