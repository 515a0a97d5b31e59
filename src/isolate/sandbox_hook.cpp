#include "isolate/sandbox_hook.hpp"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/env_var.hpp"
#include "isolate/sandbox_probe.hpp"


namespace coldbench::isolate {
namespace {

std::string real_path(const std::string& path) {
  char buffer[PATH_MAX];
  return realpath(path.c_str(), buffer) ? std::string(buffer) : path;
}

Error hidden_error(const std::string& what, const std::string& path, const std::string& dir) {
  return make_error(
      "--isolate sandbox: {} '{}' is under {}, which the sandbox replaces with an empty tmpfs; "
      "move it elsewhere (e.g. under /var/tmp or your project directory) or use --isolate host",
      what, path, dir);
}

}  // namespace

std::optional<std::string> hidden_by_sandbox(const std::string& absolute_path) {
  for (const char* dir : kSandboxFreshDirs) {
    std::string_view d(dir);
    if (absolute_path.compare(0, d.size(), d) == 0 &&
        (absolute_path.size() == d.size() || absolute_path[d.size()] == '/')) {
      return std::string(dir);
    }
  }
  return std::nullopt;
}

std::optional<std::string> fresh_dir_entry(const std::string& absolute_path) {
  auto dir = hidden_by_sandbox(absolute_path);
  if (!dir || absolute_path.size() == dir->size()) return std::nullopt;
  std::size_t start = dir->size() + 1;
  std::size_t end = absolute_path.find('/', start);
  std::string entry = absolute_path.substr(0, end);
  if (entry.size() == start) return std::nullopt;  // "/tmp//x"
  return entry;
}

std::vector<std::string> entries_to_keep(const proc::SpawnRequest& request,
                                         const std::string& harness_cwd) {
  std::vector<std::string> paths = {request.program, request.cwd.empty() ? harness_cwd : request.cwd};
  for (std::size_t i = 1; i < request.argv.size(); ++i) {
    const std::string& arg = request.argv[i];
    paths.push_back(arg);
    if (auto eq = arg.find('='); eq != std::string::npos) paths.push_back(arg.substr(eq + 1));
  }
  std::vector<std::string> kept;
  auto keep = [&](const std::string& path) {
    auto entry = fresh_dir_entry(path);
    struct stat st {};
    if (!entry || lstat(entry->c_str(), &st) != 0) return;
    if (std::find(kept.begin(), kept.end(), *entry) == kept.end()) kept.push_back(*entry);
  };
  for (const auto& path : paths) {
    if (path.empty() || path[0] != '/') continue;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) continue;  // not there: nothing to keep
    keep(std::filesystem::path(path).lexically_normal().string());
    keep(real_path(path));
  }
  return kept;
}

void apply_sandbox_environment(std::vector<std::string>& env, const std::string& home,
                               const std::vector<std::pair<std::string, std::string>>& user_env,
                               const std::vector<std::string>& host_env) {
  static constexpr std::string_view kRedirecting[] = {"XDG_CACHE_HOME", "XDG_CONFIG_HOME",
                                                      "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR"};
  auto set_by_user = [&](std::string_view key) {
    return std::any_of(user_env.begin(), user_env.end(),
                       [&](const auto& kv) { return kv.first == key; });
  };
  auto inherited = [&](const std::string& entry) {
    return std::find(host_env.begin(), host_env.end(), entry) != host_env.end();
  };
  for (std::string_view key : kRedirecting) {
    if (set_by_user(key)) continue;
    std::erase_if(
        env, [&](const std::string& entry) { return is_entry_for(entry, key) && inherited(entry); });
  }
  std::erase_if(env, [](const std::string& entry) { return is_entry_for(entry, "HOME"); });
  env.push_back("HOME=" + home);
}

Expected<std::unique_ptr<SandboxHook>> SandboxHook::create(
    std::vector<std::pair<std::string, std::string>> user_env) {
  auto home = SandboxHome::create();
  if (!home) return home.error();
  if (auto dir = hidden_by_sandbox(real_path(home->path()))) {
    return hidden_error("the HOME mountpoint", home->path(), *dir);
  }
  SandboxPlan plan;
  plan.user_namespace = geteuid() != 0;
  plan.uid = geteuid();
  plan.gid = getegid();
  plan.home = home->path();
  struct stat st {};
  plan.fresh_dev_shm = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode);
  std::unique_ptr<SandboxHook> hook(
      new SandboxHook(std::move(home).value(), plan, std::move(user_env)));

  std::vector<proc::ChildSetup*> steps;
  for (auto& step : hook->steps_) steps.push_back(step.get());
  auto probed = probe_sandbox(hook->plan_, steps);
  if (!probed) return probed.error();
  return hook;
}

SandboxHook::SandboxHook(SandboxHome home, SandboxPlan plan,
                         std::vector<std::pair<std::string, std::string>> user_env)
    : home_(std::move(home)),
      plan_(std::move(plan)),
      steps_(make_sandbox_steps(plan_)),
      user_env_(std::move(user_env)) {
  host_env_ = current_environment();
  char buffer[PATH_MAX];
  if (getcwd(buffer, sizeof buffer)) harness_cwd_ = buffer;
}

Expected<void> SandboxHook::before_spawn(const CommandSpec&, proc::SpawnRequest& request,
                                         RunRecord& record) {
  // The program, the working directory and paths on the command line that
  // live under /tmp would vanish under the fresh tmpfs: carry their entries in.
  plan_.kept_entries = entries_to_keep(request, harness_cwd_);
  steps_ = make_sandbox_steps(plan_);
  auto armed = keeper_.arm();
  if (!armed) return armed.error();
  request.clone_flags |= sandbox_clone_flags(plan_);
  for (auto& step : steps_) request.child_setup.push_back(step.get());
  request.child_setup.push_back(keeper_.child_step());
  apply_sandbox_environment(request.env, plan_.home, user_env_, host_env_);
  record.isolation = "sandbox";
  return {};
}

Expected<void> SandboxHook::after_run(const bench::RunEnd&, RunRecord&) {
  // The namespaces, and every mount in them, ended with the run's last
  // process (PID 1 of its namespace; its exit kills the rest), except the
  // mount namespace the keeper holds: it is torn down now, after the end time.
  keeper_.release();
  return {};
}

}  // namespace coldbench::isolate
