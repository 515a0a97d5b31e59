#include "isolate/sandbox_hook.hpp"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "isolate/sandbox_probe.hpp"

extern char** environ;

namespace coldbench::isolate {
namespace {

bool has_key(const std::string& entry, std::string_view key) {
  return entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 &&
         entry[key.size()] == '=';
}

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
        env, [&](const std::string& entry) { return has_key(entry, key) && inherited(entry); });
  }
  std::erase_if(env, [](const std::string& entry) { return has_key(entry, "HOME"); });
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
  for (char** e = environ; *e; ++e) host_env_.emplace_back(*e);
}

Expected<void> SandboxHook::before_spawn(const CommandSpec&, proc::SpawnRequest& request,
                                         RunRecord& record) {
  // An explicit --cwd is entered after the mounts; an absolute program path is
  // looked up after them too. Either under /tmp would vanish.
  if (!request.cwd.empty()) {
    std::string cwd = real_path(request.cwd);
    if (auto dir = hidden_by_sandbox(cwd))
      return hidden_error("the working directory", request.cwd, *dir);
  }
  if (!request.program.empty() && request.program[0] == '/') {
    std::string program = real_path(request.program);
    if (auto dir = hidden_by_sandbox(program))
      return hidden_error("the program", request.program, *dir);
  }
  auto armed = keeper_.arm();
  if (!armed) return armed.error();
  request.clone_flags |= sandbox_clone_flags(plan_);
  for (auto& step : steps_) request.child_setup.push_back(step.get());
  request.child_setup.push_back(keeper_.child_step());
  apply_sandbox_environment(request.env, plan_.home, user_env_, host_env_);
  record.isolation = "sandbox";
  return {};
}

void SandboxHook::after_reap(const proc::SpawnResult&, RunRecord&) {
  // The namespaces, and every mount in them, ended with the run's last
  // process (PID 1 of its namespace; its exit kills the rest), except the
  // mount namespace the keeper holds: it is torn down now, after the end time.
  keeper_.release();
}

}  // namespace coldbench::isolate
