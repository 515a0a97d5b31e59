#pragma once
// hyperfine's hooks around a command's runs: --setup (once before its first
// run), --prepare (before each run, warmups included), --conclude (after each
// run) and --cleanup (once after its last run). They run on the host through
// the session's shell choice, outside the run's cgroup, namespaces and
// container, and are never measured or recorded; one that fails stops the
// session (exit 1) after the runs so far were written. --prepare runs before
// the run hooks set the page cache state (so --cache has the last word over a
// prepare that reads or evicts files); --conclude after the run is recorded.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coldbench::bench {

enum class HookStage { Setup, Prepare, Conclude, Cleanup };

// "--setup", "--prepare", "--conclude", "--cleanup".
std::string_view hook_flag(HookStage stage);

struct HookCommand {
  std::string text;               // as given (parameters substituted)
  std::vector<std::string> argv;  // through the shell, or its words with -N
};

struct CommandHooks {
  std::optional<HookCommand> setup, prepare, conclude, cleanup;

  const std::optional<HookCommand>& at(HookStage stage) const;
  bool empty() const { return !setup && !prepare && !conclude && !cleanup; }
};

}  // namespace coldbench::bench
