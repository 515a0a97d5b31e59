#pragma once
// --isolate sandbox as a run hook: every run starts in new mount, PID, IPC and
// UTS namespaces (plus a user namespace when not root) with fresh tmpfs on
// /tmp, /dev/shm and HOME, and its own /proc and hostname. No daemon, no image.
// What the workload itself lives in under /tmp stays visible (entries_to_keep).

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/hooks.hpp"
#include "isolate/namespace_keeper.hpp"
#include "isolate/sandbox_home.hpp"
#include "isolate/sandbox_setup.hpp"

namespace coldbench::isolate {

// The directories the sandbox replaces with empty tmpfs (besides HOME).
inline constexpr const char* kSandboxFreshDirs[] = {"/tmp", "/dev/shm"};

// Which fresh directory hides `absolute_path` inside the sandbox, if any.
std::optional<std::string> hidden_by_sandbox(const std::string& absolute_path);

// The entry directly under a fresh directory that holds `absolute_path`
// ("/tmp/proj/build/x" -> "/tmp/proj"); none outside them or for the
// directory itself.
std::optional<std::string> fresh_dir_entry(const std::string& absolute_path);

// The entries of /tmp and /dev/shm a run keeps visible in the sandbox: those
// that hold its program, its working directory (`request.cwd`, else
// `harness_cwd`), or an existing absolute path among its arguments (also
// after '=' as in --model=/tmp/m.pt), each as written and as resolved.
std::vector<std::string> entries_to_keep(const proc::SpawnRequest& request,
                                         const std::string& harness_cwd);

// Adjusts a run's environment: HOME points at the fresh tmpfs, and the
// variables that would send caches, configs or temp files back to the host
// (XDG_*_HOME, TMPDIR) are removed where the run merely inherited them from
// `host_env`; values set for the run (--env, a sweep's env) stay.
void apply_sandbox_environment(std::vector<std::string>& env, const std::string& home,
                               const std::vector<std::pair<std::string, std::string>>& user_env,
                               const std::vector<std::string>& host_env);

class SandboxHook : public bench::RunHook {
 public:
  // Creates the HOME mountpoint and checks, with a throwaway child, that this
  // host permits the namespaces and mounts; the error explains a refusal.
  static Expected<std::unique_ptr<SandboxHook>> create(
      std::vector<std::pair<std::string, std::string>> user_env);

  Expected<void> before_spawn(const CommandSpec& command, proc::SpawnRequest& request,
                              RunRecord& record) override;
  Expected<void> after_run(const bench::RunEnd& end, RunRecord& record) override;

  const SandboxPlan& plan() const { return plan_; }
  const MountNamespaceKeeper& keeper() const { return keeper_; }

 private:
  SandboxHook(SandboxHome home, SandboxPlan plan,
              std::vector<std::pair<std::string, std::string>> user_env);

  SandboxHome home_;
  SandboxPlan plan_;
  std::vector<std::unique_ptr<proc::ChildSetup>> steps_;
  std::vector<std::pair<std::string, std::string>> user_env_;
  std::vector<std::string> host_env_;  // the harness's own environment, what runs merely inherit
  std::string harness_cwd_;            // where a run without --cwd starts
  MountNamespaceKeeper keeper_;        // defers each run's namespace teardown past its end time
};

}  // namespace coldbench::isolate
