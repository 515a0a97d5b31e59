#pragma once
// The limits' steps in the child between clone and exec: join the run's
// cgroup (every hierarchy, before exec, so the workload's first instruction
// is already limited) and set the scheduler affinity.

#include <sched.h>

#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/cpu_list.hpp"
#include "core/fd.hpp"
#include "proc/spawn.hpp"

namespace coldbench::limits {

// Writes "0" (the writer itself) into each cgroup.procs. The files are opened
// in the harness, so a sandbox's mount namespace cannot hide them from the child.
class JoinCgroupStep : public proc::ChildSetup {
 public:
  static Expected<JoinCgroupStep> open(const std::vector<std::string>& procs_files);
  int apply_in_child() noexcept override;
  std::string describe() const override;

 private:
  std::vector<Fd> fds_;
  std::vector<std::string> files_;
};

class AffinityStep : public proc::ChildSetup {
 public:
  explicit AffinityStep(const CpuList& cpus);
  AffinityStep(const AffinityStep&) = delete;
  AffinityStep& operator=(const AffinityStep&) = delete;
  ~AffinityStep() override;
  int apply_in_child() noexcept override;
  std::string describe() const override;

 private:
  CpuList cpus_;
  cpu_set_t* set_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace coldbench::limits
