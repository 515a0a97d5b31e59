// `coldbench env`: the CPUs and memory runs started here may use, where each
// cgroup controller lives, and what coldbench can and cannot do on this host
// (cgroups, affinity, dropping caches, namespaces, container engines), with
// how to get what is missing.

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "cache/page_cache.hpp"
#include "cli/commands.hpp"
#include "core/json_text.hpp"
#include "core/units.hpp"
#include "isolate/container_engine.hpp"
#include "isolate/sandbox_hook.hpp"
#include "isolate/sandbox_probe.hpp"
#include "limits/host_capabilities.hpp"
#include "limits/host_report.hpp"
#include "proc/spawner.hpp"

namespace coldbench::cli {
namespace {

struct EnvArguments {
  bool json = false;
  bool no_engines = false;
};

limits::Capability drop_caches_capability() {
  limits::Capability capability{"drop page caches", "--cache drop", false, "", ""};
  auto reason = cache::drop_caches_unavailable_reason();
  capability.available = !reason;
  capability.detail = reason ? *reason : "root, /proc/sys/vm/drop_caches is writable";
  if (reason) {
    capability.how =
        "run as root on the host (containers mount /proc/sys read-only); --cache cold evicts only "
        "the workload's own files and needs no root";
  }
  return capability;
}

// Without the spawner every run forks: it still works, but each run's max
// RSS has the harness's resident memory as its floor (docs/isolation.md).
limits::Capability spawner_capability() {
  limits::Capability capability{"spawner process", "runs that neither copy the harness nor inherit its max RSS",
                                false, "", ""};
  const std::string path = proc::Spawner::program_path();
  capability.available = !path.empty() && path != "off" && access(path.c_str(), X_OK) == 0;
  capability.detail = path.empty() ? "no path" : path == "off" ? "COLDBENCH_SPAWNER=off" : path;
  if (!capability.available) {
    capability.how =
        "build coldbench-spawner beside coldbench (cmake --build builds both) or point COLDBENCH_SPAWNER at it; "
        "until then runs fork and a run's max RSS is at least the harness's";
  }
  return capability;
}

limits::Capability user_namespace_capability() {
  limits::Capability capability{"create user namespaces", "--isolate sandbox without root", false,
                                "", ""};
  auto sysctls = isolate::read_namespace_sysctls();
  int error = limits::probe_unshare(CLONE_NEWUSER);
  capability.available = error == 0;
  std::string settings =
      fmt::format("user.max_user_namespaces={}",
                  sysctls.max_user_namespaces.empty() ? "(absent)" : sysctls.max_user_namespaces);
  settings += fmt::format(
      ", kernel.unprivileged_userns_clone={}",
      sysctls.unprivileged_userns_clone.empty() ? "(absent)" : sysctls.unprivileged_userns_clone);
  if (!sysctls.apparmor_restrict_unprivileged_userns.empty()) {
    settings += ", kernel.apparmor_restrict_unprivileged_userns=" +
                sysctls.apparmor_restrict_unprivileged_userns;
  }
  capability.detail =
      error == 0 ? settings : fmt::format("unshare: {} ({})", std::strerror(error), settings);
  if (error != 0) capability.how = isolate::explain_clone_refusal(error, true, sysctls);
  return capability;
}

limits::Capability sandbox_capability() {
  limits::Capability capability{"mount/PID/IPC/UTS namespaces", "--isolate sandbox", false, "", ""};
  auto hook = isolate::SandboxHook::create({});
  capability.available = hook.ok();
  if (hook) {
    capability.detail =
        (*hook)->plan().user_namespace ? "inside a user namespace (not root)" : "as root";
  } else {
    capability.detail = "the trial sandbox failed";
    capability.how = hook.error().message;
  }
  return capability;
}

limits::Capability engine_capability(isolate::IsolationMode engine) {
  const char* word = engine == isolate::IsolationMode::Docker ? "docker" : "podman";
  limits::Capability capability{fmt::format("{} engine", word), fmt::format("--isolate {}", word),
                                false, "", ""};
  const char* path = std::getenv("PATH");
  auto client = isolate::find_engine_client(engine, path ? path : "/usr/local/bin:/usr/bin:/bin");
  if (!client) {
    capability.detail = fmt::format("no {} client", word);
    capability.how = client.error().message;
    return capability;
  }
  auto state = isolate::inspect_engine(engine, *client);
  if (!state) {
    capability.detail = fmt::format("{} does not answer", word);
    capability.how = state.error().message;
    return capability;
  }
  const isolate::EnginePlan& plan = state->plan;
  capability.available = !plan.problem;
  std::vector<std::string> lines;
  lines.push_back(fmt::format("{} {}{} answers ({})", word, state->facts.version,
                              state->facts.podman_service ? " (podman's Docker-API service)" : "", *client));
  std::vector<std::string> invocation = {word};
  invocation.insert(invocation.end(), plan.global_args.begin(), plan.global_args.end());
  invocation.push_back("run");
  invocation.insert(invocation.end(), plan.run_args.begin(), plan.run_args.end());
  if (!plan.problem) lines.push_back(fmt::format("runs use: {} ...", fmt::join(invocation, " ")));
  for (const auto& choice : plan.choices) lines.push_back(choice);
  if (plan.problem) {
    capability.how = *plan.problem;
  } else {
    // Proof rather than inference where the host image exists: one container, run as a run would be.
    auto mounts = isolate::image_host_mounts(engine, *client, isolate::kHostImage);
    if (mounts) {
      std::string failed = isolate::trial_container(*client, plan, isolate::kHostImage, *mounts);
      lines.push_back(failed.empty() ? fmt::format("trial container ({}): ran /usr/bin/true", isolate::kHostImage)
                                     : fmt::format("trial container ({}) failed: {}", isolate::kHostImage, failed));
      if (!failed.empty()) {
        capability.available = false;
        capability.how = "the trial container failed with the planned invocation; check `" + std::string(word) +
                         " info` and docs/isolation.md";
      }
    } else {
      lines.push_back(fmt::format("no trial container: {} is not usable here (scripts/host-image --engine {})",
                                  isolate::kHostImage, word));
    }
  }
  capability.detail = fmt::format("{}", fmt::join(lines, "\n"));
  return capability;
}

std::string cpu_list_text(const CpuList& cpus, const std::string& empty) {
  if (cpus.empty()) return empty;
  return fmt::format("{} ({} CPU{})", format_cpu_list(cpus), cpus.size(),
                     cpus.size() == 1 ? "" : "s");
}

std::string render(const limits::HostReport& report) {
  std::string out;
  auto line = [&](const std::string& label, const std::string& value) {
    out += fmt::format("  {:<16}{}\n", label, value);
  };
  out += "CPUs (what a process started here may use)\n";
  line("online", cpu_list_text(report.online, "unknown"));
  line("affinity", cpu_list_text(report.affinity, "unknown"));
  line("cpuset", cpu_list_text(report.cpuset, "no cpuset controller"));
  line("CPU quota", report.quota_cpus
                        ? fmt::format("{:g} CPUs (CFS quota / period)", *report.quota_cpus)
                        : "none");
  line("effective CPUs",
       fmt::format(
           "{}  (min(|affinity ∩ cpuset|, floor(quota)), at least 1; --threads auto uses it)",
           report.effective_cpus));
  out += "Memory\n";
  line("limit",
       report.memory_limit_bytes ? format_bytes(double(*report.memory_limit_bytes)) : "none");
  line("machine", format_bytes(double(report.memory_total_bytes)));
  out += fmt::format("cgroups ({})\n", report.cgroup_mode);
  for (const auto& c : report.controllers) {
    line(c.name,
         c.version == "none" ? "not available" : fmt::format("{}  {}", c.version, c.own_dir));
  }
  out += fmt::format("What coldbench can do here (as {})\n",
                     report.root ? "root" : "uid " + std::to_string(geteuid()));
  for (const auto& c : report.capabilities) {
    out += fmt::format("  {:<4}{:<30}{}\n", c.available ? "yes" : "no", c.name, c.enables);
    std::size_t start = 0;
    while (start < c.detail.size()) {  // one detail per line
      std::size_t end = c.detail.find('\n', start);
      if (end == std::string::npos) end = c.detail.size();
      out += fmt::format("        {}\n", c.detail.substr(start, end - start));
      start = end + 1;
    }
    if (!c.how.empty()) out += fmt::format("        how: {}\n", c.how);
  }
  return out;
}

Expected<int> run_env(const EnvArguments& args) {
  limits::HostReport report = limits::inspect_host();
  report.capabilities.push_back(spawner_capability());
  report.capabilities.push_back(drop_caches_capability());
  report.capabilities.push_back(user_namespace_capability());
  report.capabilities.push_back(sandbox_capability());
  if (!args.no_engines) {
    report.capabilities.push_back(engine_capability(isolate::IsolationMode::Docker));
    report.capabilities.push_back(engine_capability(isolate::IsolationMode::Podman));
  }
  if (args.json) {
    fmt::print("{}\n", json_text(limits::to_json(report), 2));
  } else {
    fmt::print("{}", render(report));
  }
  return kExitOk;
}

}  // namespace

Subcommand add_env_command(CLI::App& app) {
  auto args = std::make_shared<EnvArguments>();
  CLI::App* sub = app.add_subcommand(
      "env",
      "Show the CPUs, memory and cgroups runs get here, and what coldbench can and cannot do");
  sub->footer(
      "Probes are harmless: a trial cgroup is created and removed, the affinity is set to itself,\n"
      "namespaces are created by a child that exits at once, engines are asked for their version.\n"
      "See docs/limits.md.");
  sub->add_flag("--json", args->json, "Print the report as JSON");
  sub->add_flag("--no-engines", args->no_engines,
                "Skip asking docker/podman (each may take a few seconds)");
  return Subcommand{sub, [args] { return run_env(*args); }};
}

}  // namespace coldbench::cli
