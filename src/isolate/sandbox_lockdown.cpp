#include "isolate/sandbox_lockdown.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace coldbench::isolate {
namespace {

constexpr const char* kReadOnlyPaths[] = {
    "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", "/sys"};

// Linux before 5.12 has no mount_setattr: remount the bind itself read-only,
// repeating the flags it has (a user namespace may not clear them).
int remount_read_only(const char* path) noexcept {
  struct statvfs vfs {};
  if (statvfs(path, &vfs) != 0) return errno;
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
  if (vfs.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (vfs.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (vfs.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (vfs.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (vfs.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (vfs.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return mount(nullptr, path, nullptr, flags, nullptr) == 0 ? 0 : errno;
}

class ReadOnlyKernelFilesStep : public proc::ChildSetup {
 public:
  int apply_in_child() noexcept override {
    for (const char* path : kReadOnlyPaths) {
      struct stat st {};
      if (lstat(path, &st) != 0) {
        if (errno == ENOENT) continue;
        return errno;
      }
      // A bind of the path onto itself is a mount of its own, which can be
      // made read-only without touching the host's.
      if (mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) return errno;
      mount_attr attr{};
      attr.attr_set = MOUNT_ATTR_RDONLY;
      if (mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) == 0) continue;
      if (errno != ENOSYS) return errno;
      if (int error = remount_read_only(path); error != 0) return error;
    }
    return 0;
  }
  std::string describe() const override {
    return "making /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs and /sys "
           "read-only";
  }
};

class DropCapabilitiesStep : public proc::ChildSetup {
 public:
  int apply_in_child() noexcept override {
    // EINVAL: a kernel before 4.3 has no ambient set to clear.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
      return errno;
    // The bounding set is what root's execve fills the permitted set from;
    // dropping numbers up to the first EINVAL covers this kernel's last one.
    for (int cap = 0; cap < 64; ++cap) {
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
      if (errno == EINVAL) break;
      return errno;
    }
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {};
    if (syscall(SYS_capset, &header, none) != 0) return errno;
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno;
  }
  std::string describe() const override {
    return "dropping every capability of the workload (and setting no_new_privs)";
  }
};

}  // namespace

std::unique_ptr<proc::ChildSetup> make_read_only_kernel_files_step() {
  return std::make_unique<ReadOnlyKernelFilesStep>();
}

std::unique_ptr<proc::ChildSetup> make_drop_capabilities_step() {
  return std::make_unique<DropCapabilitiesStep>();
}

}  // namespace coldbench::isolate
