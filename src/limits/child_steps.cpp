#include "limits/child_steps.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace coldbench::limits {
namespace {

constexpr int kFirstStepFd = 10;  // above stdin, stdout, stderr and proc::kMarkerFd

}  // namespace

Expected<JoinCgroupStep> JoinCgroupStep::open(const std::vector<std::string>& procs_files) {
  JoinCgroupStep step;
  for (const auto& file : procs_files) {
    Fd opened(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!opened)
      return make_error("cannot open {} to join the run's cgroup: {}", file, std::strerror(errno));
    // The child replaces fds 0-3 (stdio and the marker pipe) before its setup
    // steps run; a low fd of ours would be the marker pipe by then.
    Fd fd(fcntl(opened.get(), F_DUPFD_CLOEXEC, kFirstStepFd));
    if (!fd) return make_error("cannot duplicate the fd of {}: {}", file, std::strerror(errno));
    step.fds_.push_back(std::move(fd));
    step.files_.push_back(file);
  }
  return step;
}

int JoinCgroupStep::apply_in_child() noexcept {
  for (const auto& fd : fds_) {
    if (::write(fd.get(), "0", 1) != 1) return errno;
  }
  return 0;
}

std::string JoinCgroupStep::describe() const {
  std::string text = "joining the run's cgroup (";
  for (std::size_t i = 0; i < files_.size(); ++i) text += (i ? ", " : "") + files_[i];
  return text + ")";
}

AffinityStep::AffinityStep(const CpuList& cpus) : cpus_(cpus) {
  int size = cpus.empty() ? 1 : cpus.back() + 1;
  set_ = CPU_ALLOC(size);
  bytes_ = CPU_ALLOC_SIZE(size);
  if (set_) {
    CPU_ZERO_S(bytes_, set_);
    for (int cpu : cpus) CPU_SET_S(cpu, bytes_, set_);
  }
}

AffinityStep::~AffinityStep() {
  if (set_) CPU_FREE(set_);
}

int AffinityStep::apply_in_child() noexcept {
  if (!set_) return ENOMEM;
  return sched_setaffinity(0, bytes_, set_) == 0 ? 0 : errno;
}

std::string AffinityStep::describe() const {
  return "setting the CPU affinity to " + format_cpu_list(cpus_);
}

}  // namespace coldbench::limits
