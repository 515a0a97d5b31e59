#include "isolate/engine_plan.hpp"

#include <fmt/format.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/cgroup_layout.hpp"
#include "core/effective_cpus.hpp"
#include "proc/spawn.hpp"

namespace coldbench::isolate {
namespace {

const char* engine_word(IsolationMode engine) {
  return engine == IsolationMode::Podman ? "podman" : "docker";
}

std::string limit_text(uint64_t value) {
  return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

bool has_sys_resource() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective & CAP_TO_MASK(CAP_SYS_RESOURCE)) != 0;
}

std::optional<RlimitPair> own_limit(int resource) {
  rlimit limit{};
  if (getrlimit(resource, &limit) != 0) return std::nullopt;
  return RlimitPair{limit.rlim_cur, limit.rlim_max};
}

std::string json_string(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// The runtime's rlimits cannot exceed the hard limits it inherits.
void plan_rlimits(const EngineFacts& engine, const HostFacts& host, EnginePlan& plan) {
  const char* word = engine_word(engine.engine);
  if (host.can_raise_rlimits) {
    plan.choices.push_back(fmt::format(
        "rlimits: this process holds CAP_SYS_RESOURCE, so {}'s default rlimits apply", word));
    return;
  }
  std::vector<std::string> given;
  if (host.nofile && host.nofile->hard != RLIM_INFINITY) {
    const uint64_t hard = host.nofile->hard;
    const uint64_t soft = std::min(host.nofile->soft, hard);
    plan.run_args.push_back(fmt::format("--ulimit=nofile={}:{}", soft, hard));
    given.push_back(fmt::format("nofile {}:{} (this process's own)", soft, hard));
  }
  if (host.nproc) {
    uint64_t hard = host.nproc->hard;
    std::string why = "this process's own";
    if (host.pid_max && *host.pid_max < hard) {
      hard = *host.pid_max;
      why = fmt::format("its hard limit {} lowered to kernel.pid_max, as podman lowers its own",
                        limit_text(host.nproc->hard));
    }
    if (hard != RLIM_INFINITY) {
      const uint64_t soft = std::min(host.nproc->soft, hard);
      plan.run_args.push_back(fmt::format("--ulimit=nproc={}:{}", soft, hard));
      given.push_back(fmt::format("nproc {}:{} ({})", soft, hard, why));
    }
  }
  if (given.empty()) return;
  plan.choices.push_back(fmt::format(
      "rlimits: without CAP_SYS_RESOURCE the OCI runtime cannot raise a hard limit, and {}'s "
      "defaults (nofile 1048576) would fail every run; runs ask for {}",
      word, fmt::join(given, " and ")));
}

void plan_runtime(const EngineFacts& engine, const HostFacts& host, EnginePlan& plan) {
  if (engine.runtime != "crun" || host.cgroup_mode != "hybrid") {
    if (!engine.runtime.empty()) {
      plan.choices.push_back(fmt::format("OCI runtime: {}, the engine's default (cgroups here: {})",
                                         engine.runtime, host.cgroup_mode));
    }
    return;
  }
  // crun 1.x refuses hybrid hosts: "cgroups in hybrid mode not supported".
  auto runc = host.runtimes.find("runc");
  if (engine.engine == IsolationMode::Podman) {
    if (runc == host.runtimes.end()) {
      plan.problem =
          "podman's OCI runtime is crun, which refuses this host's hybrid cgroups (v1 controllers "
          "plus a unified mount), and runc is not installed: install it (`apt-get install runc`)";
      return;
    }
    plan.global_args.insert(plan.global_args.end(), {"--runtime", runc->second});
    plan.choices.push_back(fmt::format(
        "OCI runtime: runc ({}) instead of podman's default crun, which refuses this host's hybrid "
        "cgroups",
        runc->second));
    return;
  }
  // Through the Docker API the runtime is the service's: a per-run choice is ignored.
  plan.problem = engine.podman_service
                     ? std::string(
                           "the engine behind the docker client is podman's Docker-API service, "
                           "running with crun, which refuses this host's hybrid cgroups; restart it "
                           "with runc: `podman --runtime runc system service --time=0 unix://SOCKET` "
                           "(scripts/docker-service does this)")
                     : std::string(
                           "dockerd's default runtime is crun, which refuses this host's hybrid "
                           "cgroups; set \"default-runtime\": \"runc\" in /etc/docker/daemon.json "
                           "and restart dockerd");
}

void plan_cgroup_manager(const EngineFacts& engine, const HostFacts& host, EnginePlan& plan) {
  if (engine.cgroup_manager != "systemd" || host.systemd_running) {
    if (!engine.cgroup_manager.empty()) {
      plan.choices.push_back(fmt::format("cgroup manager: {}, the engine's default", engine.cgroup_manager));
    }
    return;
  }
  if (engine.engine == IsolationMode::Podman) {
    plan.global_args.insert(plan.global_args.end(), {"--cgroup-manager", "cgroupfs"});
    plan.choices.push_back(
        "cgroup manager: cgroupfs, since podman's configured systemd manager needs systemd, which "
        "does not run here");
    return;
  }
  plan.problem = fmt::format(
      "the Docker engine uses the systemd cgroup driver, but systemd does not run here; configure "
      "it with \"exec-opts\": [\"native.cgroupdriver=cgroupfs\"]{}",
      engine.podman_service ? " (for podman's service: start it with --cgroup-manager cgroupfs)" : "");
}

}  // namespace

EnginePlan plan_engine(const EngineFacts& engine, const HostFacts& host) {
  EnginePlan plan;
  plan_runtime(engine, host, plan);
  plan_cgroup_manager(engine, host, plan);
  plan_rlimits(engine, host, plan);
  return plan;
}

HostFacts detect_host_facts(const std::string& path_value) {
  HostFacts host;
  auto layout = detect_cgroup_layout();
  host.cgroup_mode = layout ? layout->mode() : "none";
  struct stat st {};
  host.systemd_running = stat("/run/systemd/system", &st) == 0;
  host.can_raise_rlimits = has_sys_resource();
  host.nofile = own_limit(RLIMIT_NOFILE);
  host.nproc = own_limit(RLIMIT_NPROC);
  if (auto text = read_text_file("/proc/sys/kernel/pid_max")) {
    try {
      host.pid_max = std::stoull(*text);
    } catch (const std::exception&) {
    }
  }
  const std::string search = path_value + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const char* runtime : {"runc", "crun"}) {
    if (auto found = proc::resolve_program(runtime, search, "")) host.runtimes[runtime] = *found;
  }
  return host;
}

Expected<EngineFacts> parse_engine_facts(IsolationMode engine, const std::string& info_json,
                                         const std::string& version_json) {
  const char* word = engine_word(engine);
  auto info = nlohmann::json::parse(info_json, nullptr, false);
  if (info.is_discarded() || !info.is_object()) {
    return make_error("`{} info` did not print JSON (it printed: {:.200})", word, info_json);
  }
  EngineFacts facts;
  facts.engine = engine;
  if (engine == IsolationMode::Podman) {
    const auto host = info.value("host", nlohmann::json::object());
    facts.version = json_string(info.value("version", nlohmann::json::object()), "Version");
    facts.runtime = json_string(host.value("ociRuntime", nlohmann::json::object()), "name");
    facts.cgroup_manager = json_string(host, "cgroupManager");
    facts.cgroup_version = json_string(host, "cgroupVersion");
    return facts;
  }
  facts.version = json_string(info, "ServerVersion");
  facts.runtime = json_string(info, "DefaultRuntime");
  facts.cgroup_manager = json_string(info, "CgroupDriver");
  facts.cgroup_version = json_string(info, "CgroupVersion");
  auto version = nlohmann::json::parse(version_json, nullptr, false);
  if (!version.is_discarded() && version.is_object()) {
    for (const auto& component : version.value("Components", nlohmann::json::array())) {
      if (component.is_object() && json_string(component, "Name") == "Podman Engine") facts.podman_service = true;
    }
  }
  return facts;
}

std::vector<std::string> engine_facts_argv(IsolationMode engine, const std::string& client) {
  if (engine == IsolationMode::Podman) return {client, "info", "--format", "json"};
  return {client, "info", "--format", "{{json .}}"};
}

std::vector<std::string> engine_version_argv(const std::string& client) {
  return {client, "version", "--format", "{{json .Server}}"};
}

Expected<std::vector<ContainerMount>> parse_image_host_mounts(const std::string& labels_json) {
  std::vector<ContainerMount> mounts;
  auto labels = nlohmann::json::parse(labels_json, nullptr, false);
  if (labels.is_discarded() || !labels.is_object()) return mounts;  // "null": no labels
  auto it = labels.find(kHostMountsLabel);
  if (it == labels.end() || !it->is_string()) return mounts;
  const std::string value = it->get<std::string>();
  std::size_t start = 0;
  while (start < value.size()) {
    std::size_t end = value.find(',', start);
    if (end == std::string::npos) end = value.size();
    const std::string item = value.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    auto mount = parse_container_mount(item, "/");
    if (!mount || mount->source.empty() || mount->source[0] != '/' || item[0] != '/') {
      return make_error("the image's label {}='{}' has a bad entry '{}': expected absolute SRC:DST[:ro]",
                        kHostMountsLabel, value, item);
    }
    mounts.push_back(std::move(mount).value());
  }
  return mounts;
}

}  // namespace coldbench::isolate
