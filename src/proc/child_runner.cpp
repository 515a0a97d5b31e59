#include "proc/child_runner.hpp"

#include "proc/watchdog.hpp"

namespace coldbench::proc {

void ProcessRunner::prepare() { RunWatchdog::instance(); }

Expected<SpawnResult> ProcessRunner::run(const SpawnRequest& request, OutputObserver& observer) {
  return spawn_and_wait(request, observer);
}

ChildRunner& process_runner() {
  static ProcessRunner runner;
  return runner;
}

}  // namespace coldbench::proc
