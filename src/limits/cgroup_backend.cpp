#include "limits/cgroup_backend.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>

#include "core/text.hpp"
#include "core/cpu_list.hpp"

namespace coldbench::limits {
namespace {

constexpr int64_t kCfsPeriodUs = 100000;  // the kernel's default CFS period (100 ms)

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find_first_of(" \t\n", start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string trimmed(std::string_view text) { return std::string(trim(text)); }

// "run-<pid>-<seq>" or "harness-<pid>" -> the pid of the harness that made it.
std::optional<pid_t> creator_of(const std::string& name, bool& is_run) {
  std::string_view rest;
  if (name.rfind("run-", 0) == 0) {
    is_run = true;
    rest = std::string_view(name).substr(4);
    rest = rest.substr(0, rest.find('-'));
  } else if (name.rfind("harness-", 0) == 0) {
    is_run = false;
    rest = std::string_view(name).substr(8);
  } else {
    return std::nullopt;
  }
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  if (ec != std::errc() || end != rest.data() + rest.size() || pid <= 0) return std::nullopt;
  return pid;
}

bool is_permission_error(int error) {
  return error == EACCES || error == EPERM || error == EROFS;
}

}  // namespace

std::string cgroup_permission_hint(CgroupVersion version) {
  if (version == CgroupVersion::V1) {
    return "cgroup v1 hierarchies are writable only by root: run coldbench as root (e.g. with "
           "sudo), or on a cgroup v2 host inside a delegated subtree (systemd-run --user --scope "
           "-p Delegate=yes coldbench run ...); `coldbench env` shows what this host allows";
  }
  return "run coldbench as root, or inside a delegated cgroup v2 subtree: systemd-run --user "
         "--scope -p Delegate=yes coldbench run ... (systemd delegates cpu, memory and pids to "
         "users by default; cpuset needs Delegate=cpuset for user@.service); `coldbench env` "
         "shows what this host allows";
}

CgroupNeeds needs_for(const LimitSpec& spec) {
  CgroupNeeds needs;
  if (spec.cpus) needs.required.push_back("cpu");
  if (spec.cpuset) needs.required.push_back("cpuset");
  if (spec.memory_bytes) needs.required.push_back("memory");
  for (const char* stat : {"cpu", "cpuacct", "memory"}) {
    if (!has(needs.required, stat)) needs.optional.push_back(stat);
  }
  return needs;
}

Expected<std::unique_ptr<CgroupBackend>> CgroupBackend::prepare(const CgroupLayout& layout,
                                                                const CgroupNeeds& needs,
                                                                CgroupFs& fs) {
  std::unique_ptr<CgroupBackend> backend(new CgroupBackend(fs));
  backend->needs_ = needs;
  for (const auto& controller : known_controllers()) {
    bool required = has(needs.required, controller);
    if (!required && !has(needs.optional, controller)) continue;
    const ControllerPlace* place = layout.find(controller);
    if (!place) {
      if (!required) continue;
      return make_error(
          "the {} controller is not available here: no cgroup v1 hierarchy has it and the cgroup "
          "v2 mount does not offer it (see `coldbench env`)",
          controller);
    }
    auto same =
        std::find_if(backend->hierarchies_.begin(), backend->hierarchies_.end(),
                     [&](const RunHierarchy& h) { return h.mount_point == place->mount_point; });
    if (same != backend->hierarchies_.end()) {
      same->controllers.push_back(controller);
      continue;
    }
    backend->hierarchies_.push_back(RunHierarchy{place->version,
                                                 place->mount_point,
                                                 place->own_dir,
                                                 place->own_dir + "/" + kParentName,
                                                 {controller}});
  }

  std::vector<RunHierarchy> usable;
  for (auto& hierarchy : backend->hierarchies_) {
    auto ready = backend->ensure_parent(hierarchy, needs);
    bool required = std::any_of(hierarchy.controllers.begin(), hierarchy.controllers.end(),
                                [&](const std::string& c) { return has(needs.required, c); });
    if (!ready) {
      if (required) return ready.error();
      backend->notes_.push_back(fmt::format("no cgroup statistics from {}: {}",
                                            hierarchy.mount_point, ready.error().message));
      continue;
    }
    backend->remove_stale(hierarchy);
    if (!hierarchy.controllers.empty()) usable.push_back(hierarchy);
  }
  backend->hierarchies_ = std::move(usable);
  return backend;
}

CgroupBackend::~CgroupBackend() {
  // Fails harmlessly while another session's runs (or a v2 harness leaf) are inside.
  for (const auto& hierarchy : hierarchies_) fs_->remove_dir(hierarchy.parent_dir);
}

std::string CgroupBackend::version_label() const {
  std::set<std::string> versions;
  for (const auto& hierarchy : hierarchies_)
    versions.insert(std::string(to_string(hierarchy.version)));
  std::string label;
  for (const auto& v : versions) label += (label.empty() ? "" : "+") + v;
  return label;
}

void CgroupBackend::remove_stale(const RunHierarchy& hierarchy) {
  if (!fs_->exists(hierarchy.parent_dir)) return;
  const pid_t own = fs_->own_pid();
  const std::string comm = fs_->own_comm();
  for (const auto& name : fs_->subdirectories(hierarchy.parent_dir)) {
    bool is_run = false;
    auto creator = creator_of(name, is_run);
    if (!creator || (!is_run && *creator == own)) continue;
    // A creator that is gone, or whose pid now belongs to another program (or
    // to us, freshly started), will never remove its cgroup.
    bool stale = (is_run && *creator == own) || !fs_->process_running(*creator, comm);
    if (!stale) continue;
    std::string dir = hierarchy.parent_dir + "/" + name;
    int error = remove_cgroup_dir(*fs_, dir);
    if (error == 0) {
      notes_.push_back(
          fmt::format("removed stale cgroup {} (its coldbench process {} is gone)", dir, *creator));
    } else {
      notes_.push_back(fmt::format("cannot remove stale cgroup {}: {}", dir, std::strerror(error)));
    }
  }
}

Expected<void> CgroupBackend::enable_v2_controllers(RunHierarchy& hierarchy,
                                                    const CgroupNeeds& needs) {
  std::string offered_text = fs_->read(hierarchy.base_dir + "/cgroup.controllers").value_or("");
  auto offered = words_of(offered_text);
  std::vector<std::string> kept;
  for (const auto& controller : hierarchy.controllers) {
    if (has(offered, controller)) {
      kept.push_back(controller);
    } else if (has(needs.required, controller)) {
      return make_error(
          "cgroup v2: the {} controller is not available to {} (its cgroup.controllers lists "
          "'{}'); {}",
          controller, hierarchy.base_dir, trimmed(offered_text),
          cgroup_permission_hint(CgroupVersion::V2));
    }
  }
  hierarchy.controllers = kept;

  auto enabled = words_of(fs_->read(hierarchy.base_dir + "/cgroup.subtree_control").value_or(""));
  std::string missing;
  for (const auto& controller : hierarchy.controllers) {
    if (!has(enabled, controller)) missing += (missing.empty() ? "+" : " +") + controller;
  }
  if (missing.empty()) return {};
  const std::string control = hierarchy.base_dir + "/cgroup.subtree_control";
  int error = fs_->write(control, missing);
  if (error == 0) return {};
  if (error != EBUSY) {
    return make_error("cgroup v2: cannot enable '{}' in {}: {}; {}", missing, control,
                      std::strerror(error), cgroup_permission_hint(CgroupVersion::V2));
  }

  // EBUSY: the kernel delegates controllers only from a cgroup without
  // processes. Alone in it, the harness moves into a leaf of its own parent.
  auto pids = parse_pids(fs_->read(hierarchy.base_dir + "/cgroup.procs").value_or(""));
  const pid_t own = fs_->own_pid();
  if (pids.size() == 1 && pids[0] == own) {
    std::string leaf = fmt::format("{}/harness-{}", hierarchy.parent_dir, own);
    for (const auto& dir : {hierarchy.parent_dir, leaf}) {
      int made = fs_->make_dir(dir);
      if (made != 0 && made != EEXIST) {
        return make_error("cgroup v2: cannot create {}: {}; {}", dir, std::strerror(made),
                          cgroup_permission_hint(CgroupVersion::V2));
      }
    }
    int moved = fs_->write(leaf + "/cgroup.procs", std::to_string(own));
    if (moved != 0) {
      return make_error("cgroup v2: cannot move coldbench into {}: {}; {}", leaf,
                        std::strerror(moved), cgroup_permission_hint(CgroupVersion::V2));
    }
    error = fs_->write(control, missing);
    if (error == 0) return {};
    return make_error("cgroup v2: cannot enable '{}' in {}: {}; {}", missing, control,
                      std::strerror(error), cgroup_permission_hint(CgroupVersion::V2));
  }
  // Not even as root does coldbench go elsewhere (the top of the hierarchy):
  // its runs would escape the limits of the cgroup it was started in, and it
  // would write outside its own subtree. The user gives it a cgroup instead.
  std::size_t others =
      pids.size() - static_cast<std::size_t>(std::count(pids.begin(), pids.end(), own));
  std::string fix =
      fs_->is_root()
          ? fmt::format(
                "systemd-run --scope -p Delegate=yes coldbench run ... (without systemd: mkdir "
                "{0}/bench, then sh -c 'echo $$ > {0}/bench/cgroup.procs && exec coldbench run "
                "...')",
                hierarchy.mount_point)
          : "systemd-run --user --scope -p Delegate=yes coldbench run ...";
  return make_error(
      "cgroup v2: cannot enable '{}' for coldbench's cgroups: {} holds {} other process{}, and the "
      "kernel delegates controllers only from a cgroup without processes; coldbench creates "
      "cgroups only inside its own. Run coldbench in a cgroup of its own: {}",
      missing, hierarchy.base_dir, others, others == 1 ? "" : "es", fix);
}

Expected<void> CgroupBackend::ensure_parent(RunHierarchy& hierarchy, const CgroupNeeds& needs) {
  if (hierarchy.version == CgroupVersion::V2) {
    auto enabled = enable_v2_controllers(hierarchy, needs);
    if (!enabled) return enabled;
    if (hierarchy.controllers.empty()) return {};
  }
  int made = fs_->make_dir(hierarchy.parent_dir);
  if (made != 0 && made != EEXIST) {
    return make_error("cannot create cgroup {}: {}; {}", hierarchy.parent_dir, std::strerror(made),
                      is_permission_error(made) ? cgroup_permission_hint(hierarchy.version)
                                                : "check `coldbench env`");
  }
  if (hierarchy.version == CgroupVersion::V2) {
    auto enabled =
        words_of(fs_->read(hierarchy.parent_dir + "/cgroup.subtree_control").value_or(""));
    std::string missing;
    for (const auto& controller : hierarchy.controllers) {
      if (!has(enabled, controller)) missing += (missing.empty() ? "+" : " +") + controller;
    }
    if (!missing.empty()) {
      int error = fs_->write(hierarchy.parent_dir + "/cgroup.subtree_control", missing);
      if (error != 0) {
        return make_error("cgroup v2: cannot enable '{}' in {}/cgroup.subtree_control: {}; {}",
                          missing, hierarchy.parent_dir, std::strerror(error),
                          cgroup_permission_hint(CgroupVersion::V2));
      }
    }
    return {};
  }
  if (has(hierarchy.controllers, "cpuset")) {
    // A new v1 cpuset starts with no CPUs and no memory nodes; no task may join until both are set.
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      std::string current = trimmed(fs_->read(hierarchy.parent_dir + "/" + file).value_or(""));
      if (!current.empty()) continue;
      std::string inherited = trimmed(fs_->read(hierarchy.base_dir + "/" + file).value_or(""));
      int error = fs_->write(hierarchy.parent_dir + "/" + file, inherited);
      if (error != 0) {
        return make_error("cannot set {}/{} to '{}': {}", hierarchy.parent_dir, file, inherited,
                          std::strerror(error));
      }
    }
  }
  return {};
}

Expected<void> CgroupBackend::configure(const RunHierarchy& hierarchy, const std::string& dir,
                                        const LimitSpec& spec) {
  auto put = [&](const std::string& file, const std::string& value,
                 const std::string& why_invalid) -> Expected<void> {
    int error = fs_->write(dir + "/" + file, value);
    if (error == 0) return {};
    std::string hint = is_permission_error(error) ? cgroup_permission_hint(hierarchy.version)
                       : error == EINVAL          ? why_invalid
                                                  : "";
    return make_error("cannot set {} to {} in {}: {}{}{}", file, value, dir, std::strerror(error),
                      hint.empty() ? "" : "; ", hint);
  };
  const bool v2 = hierarchy.version == CgroupVersion::V2;
  if (has(hierarchy.controllers, "cpu") && spec.cpus) {
    int64_t quota = std::max<int64_t>(1000, std::llround(*spec.cpus * double(kCfsPeriodUs)));
    const std::string parent_quota =
        "the quota must not exceed that of the cgroup coldbench runs in";
    if (v2) {
      auto set = put("cpu.max", fmt::format("{} {}", quota, kCfsPeriodUs), parent_quota);
      if (!set) return set;
    } else {
      auto period = put("cpu.cfs_period_us", std::to_string(kCfsPeriodUs), "");
      if (!period) return period;
      auto set = put("cpu.cfs_quota_us", std::to_string(quota), parent_quota);
      if (!set) return set;
    }
  }
  if (has(hierarchy.controllers, "cpuset")) {
    std::string parent_cpus =
        trimmed(fs_->read(hierarchy.parent_dir + (v2 ? "/cpuset.cpus.effective" : "/cpuset.cpus"))
                    .value_or(""));
    std::string why =
        fmt::format("the CPUs must lie within the cpuset coldbench runs in ({})", parent_cpus);
    if (spec.cpuset) {
      auto cpus = parse_cpu_list(*spec.cpuset);
      auto set = put("cpuset.cpus", cpus ? format_cpu_list(*cpus) : *spec.cpuset, why);
      if (!set) return set;
    } else if (!v2) {
      auto set = put("cpuset.cpus", parent_cpus, why);
      if (!set) return set;
    }
    if (!v2) {
      auto set = put("cpuset.mems",
                     trimmed(fs_->read(hierarchy.parent_dir + "/cpuset.mems").value_or("")), "");
      if (!set) return set;
    }
  }
  if (has(hierarchy.controllers, "memory") && spec.memory_bytes) {
    std::string bytes = std::to_string(*spec.memory_bytes);
    if (v2) {
      auto set = put("memory.max", bytes, "");
      if (!set) return set;
      // No swap, so the limit means what it says; one OOM kills the whole run.
      if (fs_->exists(dir + "/memory.swap.max")) {
        auto swap = put("memory.swap.max", "0", "");
        if (!swap) return swap;
      }
      if (fs_->exists(dir + "/memory.oom.group")) {
        auto group = put("memory.oom.group", "1", "");
        if (!group) return group;
      }
    } else {
      auto set = put("memory.limit_in_bytes", bytes, "");
      if (!set) return set;
      if (fs_->exists(dir + "/memory.memsw.limit_in_bytes")) {
        auto swap = put("memory.memsw.limit_in_bytes", bytes, "");
        if (!swap) return swap;
      }
    }
  }
  return {};
}

Expected<std::unique_ptr<RunCgroup>> CgroupBackend::create_run(const LimitSpec& spec) {
  std::string name = fmt::format("run-{}-{}", fs_->own_pid(), next_sequence_++);
  std::vector<RunCgroupDir> dirs;
  auto fail = [&](Error error) -> Expected<std::unique_ptr<RunCgroup>> {
    RunCgroup partial(*fs_, dirs);  // removes what was created
    return error;
  };
  for (auto& hierarchy : hierarchies_) {
    std::string dir = hierarchy.parent_dir + "/" + name;
    int made = fs_->make_dir(dir);
    if (made == ENOENT) {
      // Another session removed the (then empty) parent between our runs.
      auto ready = ensure_parent(hierarchy, needs_);
      if (!ready) return fail(ready.error());
      made = fs_->make_dir(dir);
    }
    if (made != 0) {
      return fail(
          make_error("cannot create cgroup {}: {}{}{}", dir, std::strerror(made),
                     is_permission_error(made) ? "; " : "",
                     is_permission_error(made) ? cgroup_permission_hint(hierarchy.version) : ""));
    }
    dirs.push_back(RunCgroupDir{hierarchy.version, dir, hierarchy.controllers});
    auto configured = configure(hierarchy, dir, spec);
    if (!configured) return fail(configured.error());
  }
  return std::make_unique<RunCgroup>(*fs_, std::move(dirs));
}

}  // namespace coldbench::limits
