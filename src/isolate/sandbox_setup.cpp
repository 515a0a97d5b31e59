#include "isolate/sandbox_setup.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "isolate/sandbox_lockdown.hpp"

namespace coldbench::isolate {
namespace {

// Writes `text` to a /proc file in one write(2), as those files require.
int write_whole(const char* path, const std::string& text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t written = write(fd, text.data(), text.size());
  int error = written == static_cast<ssize_t>(text.size()) ? 0 : (written < 0 ? errno : EIO);
  close(fd);
  return error;
}

// Runs first in a new user namespace: until the maps are written the child's
// ids are unmapped (nobody), and files it creates could not be owned by anyone.
class IdentityMapStep : public proc::ChildSetup {
 public:
  IdentityMapStep(uid_t uid, gid_t gid)
      : uid_line_(identity_map_line(uid)), gid_line_(identity_map_line(gid)) {}

  int apply_in_child() noexcept override {
    // An unprivileged process may write gid_map only after giving up setgroups(2).
    int error = write_whole("/proc/self/setgroups", "deny");
    if (error != 0 && error != ENOENT)
      return error;  // ENOENT: kernels before 3.19 have no such file
    if ((error = write_whole("/proc/self/uid_map", uid_line_)) != 0) return error;
    return write_whole("/proc/self/gid_map", gid_line_);
  }
  std::string describe() const override {
    return "mapping the user's uid/gid into the sandbox's user namespace";
  }

 private:
  std::string uid_line_, gid_line_;
};

// Without this, the tmpfs and /proc mounts below could propagate back to the
// host's mount namespace on systems where / is a shared mount (systemd).
class PrivateMountsStep : public proc::ChildSetup {
 public:
  int apply_in_child() noexcept override {
    return mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 ? 0 : errno;
  }
  std::string describe() const override { return "making the sandbox's mounts private"; }
};

// A fresh tmpfs on `target`, except for `kept` entries directly under it,
// which are cloned from the host before the tmpfs hides them and attached
// again on top of it (open_tree + move_mount, Linux 5.2).
class TmpfsStep : public proc::ChildSetup {
 public:
  TmpfsStep(std::string target, std::string options, std::vector<std::string> kept = {})
      : target_(std::move(target)),
        options_(std::move(options)),
        kept_(std::move(kept)),
        kept_fds_(kept_.size(), -1) {}

  int apply_in_child() noexcept override {
    for (std::size_t i = 0; i < kept_.size(); ++i) {
      kept_fds_[i] = open_tree(AT_FDCWD, kept_[i].c_str(),
                               OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
      if (kept_fds_[i] < 0) return errno;
    }
    if (mount("tmpfs", target_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options_.c_str()) != 0)
      return errno;
    for (std::size_t i = 0; i < kept_.size(); ++i) {
      int error = attach(kept_fds_[i], kept_[i].c_str());
      close(kept_fds_[i]);
      if (error != 0) return error;
    }
    return 0;
  }
  std::string describe() const override {
    std::string text = "mounting a fresh tmpfs on " + target_;
    for (std::size_t i = 0; i < kept_.size(); ++i) text += (i ? ", " : " keeping ") + kept_[i];
    return text;
  }

 private:
  // A mountpoint of the clone's kind in the new tmpfs, then the clone on it.
  static int attach(int tree, const char* path) noexcept {
    struct stat st {};
    if (fstat(tree, &st) != 0) return errno;
    if (S_ISDIR(st.st_mode)) {
      if (mkdir(path, 0755) != 0) return errno;
    } else {
      int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) return errno;
      close(fd);
    }
    return move_mount(tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) == 0 ? 0 : errno;
  }

  std::string target_, options_;
  std::vector<std::string> kept_;
  std::vector<int> kept_fds_;  // sized here, filled in the child: no allocation after fork
};

// The old /proc still shows the host's PID namespace; tools inside (ps, the
// workload's own /proc/self lookups) need the new one.
class ProcStep : public proc::ChildSetup {
 public:
  int apply_in_child() noexcept override {
    return mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0 ? 0
                                                                                          : errno;
  }
  std::string describe() const override { return "mounting /proc for the sandbox's PID namespace"; }
};

class HostnameStep : public proc::ChildSetup {
 public:
  int apply_in_child() noexcept override {
    return sethostname(kSandboxHostname, std::strlen(kSandboxHostname)) == 0 ? 0 : errno;
  }
  std::string describe() const override {
    return std::string("setting the sandbox's hostname to ") + kSandboxHostname;
  }
};

}  // namespace

unsigned long sandbox_clone_flags(const SandboxPlan& plan) {
  unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
  if (plan.user_namespace) flags |= CLONE_NEWUSER;
  return flags;
}

std::string identity_map_line(unsigned id) {
  return std::to_string(id) + " " + std::to_string(id) + " 1\n";
}

std::vector<std::unique_ptr<proc::ChildSetup>> make_sandbox_steps(const SandboxPlan& plan) {
  std::vector<std::unique_ptr<proc::ChildSetup>> steps;
  if (plan.user_namespace) steps.push_back(std::make_unique<IdentityMapStep>(plan.uid, plan.gid));
  steps.push_back(std::make_unique<PrivateMountsStep>());
  auto kept_under = [&](const std::string& dir) {
    std::vector<std::string> kept;
    for (const auto& entry : plan.kept_entries) {
      if (entry.size() > dir.size() && entry.compare(0, dir.size(), dir) == 0 &&
          entry[dir.size()] == '/')
        kept.push_back(entry);
    }
    return kept;
  };
  steps.push_back(std::make_unique<TmpfsStep>("/tmp", "mode=1777", kept_under("/tmp")));
  if (plan.fresh_dev_shm) {
    steps.push_back(
        std::make_unique<TmpfsStep>("/dev/shm", "mode=1777", kept_under("/dev/shm")));
  }
  // 0700 like a home directory; its owner is whoever mounts it: root, or the
  // user mapped to itself in the user namespace.
  steps.push_back(std::make_unique<TmpfsStep>(plan.home, "mode=0700"));
  steps.push_back(std::make_unique<ProcStep>());
  steps.push_back(make_read_only_kernel_files_step());
  steps.push_back(std::make_unique<HostnameStep>());
  // Last: every step above needs the privilege this one takes away.
  steps.push_back(make_drop_capabilities_step());
  return steps;
}

}  // namespace coldbench::isolate
