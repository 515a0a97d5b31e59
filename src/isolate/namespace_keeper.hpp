#pragma once
// Keeps a sandboxed run's mount namespace alive past the run's exit, so that
// its teardown happens after the harness has taken the run's end time rather
// than inside it. When the last process of a mount namespace exits, the
// kernel unmounts the run's tmpfs and /proc and waits for an RCU grace period
// before the exit completes: about 0.05 ms on an idle machine, several
// milliseconds on a busy one. The child sends a descriptor of its own
// namespace over a socketpair; while that message is in flight it holds the
// namespace, and release() (after the reap) lets it go.

#include <memory>
#include <string>

#include "core/expected.hpp"
#include "core/fd.hpp"
#include "proc/spawn.hpp"

namespace coldbench::isolate {

class MountNamespaceKeeper {
 public:
  MountNamespaceKeeper();
  ~MountNamespaceKeeper();
  MountNamespaceKeeper(const MountNamespaceKeeper&) = delete;
  MountNamespaceKeeper& operator=(const MountNamespaceKeeper&) = delete;

  // A fresh socketpair for the next run (releasing the previous run's namespace).
  Expected<void> arm();
  // The child step that sends the namespace; a failure there only loses the
  // deferral, so it never stops the run.
  proc::ChildSetup* child_step() { return step_.get(); }
  // Whether the last run's namespace is held (for tests).
  bool holding() const;
  // Closes both ends: a held namespace is torn down now, in the harness.
  void release();

 private:
  Fd parent_end_;
  Fd child_end_;
  std::unique_ptr<proc::ChildSetup> step_;
};

}  // namespace coldbench::isolate
