#pragma once
// A model of the kernel's cgroup filesystem for unit tests: v1 mounts with
// their controllers, a v2 mount with cgroup.controllers/subtree_control
// propagation, the no-internal-process rule (EBUSY), v1 cpuset rules
// (no tasks before cpus and mems are set; a child's CPUs within its parent's),
// busy rmdir, permissions by directory, and processes by pid.

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "limits/cgroup_fs.hpp"
#include "core/cgroup_layout.hpp"
#include "core/cpu_list.hpp"

namespace coldbench::limits::testing {

class FakeCgroupFs : public CgroupFs {
 public:
  struct Mount {
    CgroupVersion version;
    std::vector<std::string> controllers;  // v1: the hierarchy's; v2: what the top offers
  };

  std::map<std::string, std::string> files;
  std::set<std::string> dirs;
  std::map<std::string, Mount> mounts;
  std::set<std::string> denied;            // directories in which nothing may be created or written
  std::map<pid_t, std::string> running;    // pid -> comm
  std::map<std::string, int> busy_rmdirs;  // directory -> how many rmdirs fail with EBUSY first
  std::vector<std::string> killed;         // directories kill_members was called on
  std::vector<std::string> written;        // every file a write was attempted on, in order
  std::vector<std::string> made;           // every directory a make_dir was attempted on
  pid_t pid = 4242;
  bool root = true;
  int pauses = 0;

  void add_mount(const std::string& point, CgroupVersion version,
                 std::vector<std::string> controllers) {
    mounts[point] = Mount{version, controllers};
    dirs.insert(point);
    populate(point);
    if (version == CgroupVersion::V2) {
      std::string offered;
      for (const auto& c : controllers) offered += (offered.empty() ? "" : " ") + c;
      files[point + "/cgroup.controllers"] = offered;
    }
  }

  // mkdir -p of a cgroup that already exists (e.g. the harness's own).
  void add_cgroup(const std::string& path) {
    std::string mount = mount_of(path);
    std::string current = mount;
    std::stringstream rest(path.substr(mount.size()));
    for (std::string part; std::getline(rest, part, '/');) {
      if (part.empty()) continue;
      current += "/" + part;
      if (!dirs.count(current)) {
        dirs.insert(current);
        populate(current);
      }
    }
  }

  void add_process(const std::string& dir, pid_t member) {
    auto& procs = files[dir + "/cgroup.procs"];
    procs += std::to_string(member) + "\n";
  }

  std::optional<std::string> read(const std::string& path, int* error = nullptr) const override {
    // A v2 cgroup's controllers are whatever its parent enables, at any moment.
    std::string dir = parent_of(path);
    if (path.size() > 19 && path.substr(path.size() - 19) == "/cgroup.controllers" &&
        dirs.count(dir) && mounts.at(mount_of(dir)).version == CgroupVersion::V2 &&
        dir != mount_of(dir)) {
      return files.at(parent_of(dir) + "/cgroup.subtree_control");
    }
    auto it = files.find(path);
    if (it == files.end()) {
      if (error) *error = ENOENT;
      return std::nullopt;
    }
    return it->second;
  }

  int write(const std::string& path, std::string_view text) override {
    written.push_back(path);
    std::string dir = parent_of(path), name = path.substr(dir.size() + 1);
    if (!dirs.count(dir) || !files.count(path)) return ENOENT;
    if (denied.count(dir)) return EACCES;
    const Mount& mount = mounts.at(mount_of(dir));
    std::string value(text);
    if (name == "cgroup.subtree_control") return write_subtree_control(dir, value);
    if (name == "cgroup.procs") return move_process(dir, value, mount);
    if (name == "cpuset.cpus" && mount.version == CgroupVersion::V1 && dir != mount_of(dir)) {
      auto wanted = parse_cpu_list(value);
      auto allowed = parse_cpu_list(files[parent_of(dir) + "/cpuset.cpus"]);
      if (!wanted || !allowed || !contains_all(*allowed, *wanted)) return EINVAL;
    }
    files[path] = value;
    return 0;
  }

  bool exists(const std::string& path) const override {
    return files.count(path) || dirs.count(path);
  }

  int make_dir(const std::string& path) override {
    made.push_back(path);
    if (dirs.count(path)) return EEXIST;
    std::string parent = parent_of(path);
    if (!dirs.count(parent)) return ENOENT;
    if (denied.count(parent)) return EACCES;
    dirs.insert(path);
    populate(path);
    return 0;
  }

  int remove_dir(const std::string& path) override {
    if (!dirs.count(path)) return ENOENT;
    if (denied.count(parent_of(path))) return EACCES;
    if (busy_rmdirs[path] > 0) {
      --busy_rmdirs[path];
      return EBUSY;
    }
    if (!parse_pids(files[path + "/cgroup.procs"]).empty() || !subdirectories(path).empty())
      return EBUSY;
    dirs.erase(path);
    for (auto it = files.begin(); it != files.end();) {
      it = parent_of(it->first) == path ? files.erase(it) : std::next(it);
    }
    return 0;
  }

  std::vector<std::string> subdirectories(const std::string& path) const override {
    std::vector<std::string> names;
    for (const auto& dir : dirs) {
      if (dir != path && parent_of(dir) == path) names.push_back(dir.substr(path.size() + 1));
    }
    return names;
  }

  void kill_members(const std::string& dir) override {
    killed.push_back(dir);
    files[dir + "/cgroup.procs"] = "";
  }

  bool process_running(pid_t which, std::string_view comm) const override {
    auto it = running.find(which);
    return it != running.end() && it->second == comm;
  }
  pid_t own_pid() const override { return pid; }
  std::string own_comm() const override { return "coldbench"; }
  bool is_root() const override { return root; }
  void pause_briefly() override { ++pauses; }

  static std::string parent_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

  std::string mount_of(const std::string& path) const {
    std::string best;
    for (const auto& [point, mount] : mounts) {
      if ((path == point || path.rfind(point + "/", 0) == 0) && point.size() > best.size())
        best = point;
    }
    return best;
  }

  std::vector<std::string> words(const std::string& text) const {
    std::vector<std::string> out;
    std::stringstream stream(text);
    for (std::string word; stream >> word;) out.push_back(word);
    return out;
  }

 private:
  void populate(const std::string& dir) {
    std::string point = mount_of(dir);
    const Mount& mount = mounts.at(point);
    files[dir + "/cgroup.procs"] = "";
    auto has = [](const std::vector<std::string>& list, const std::string& c) {
      return std::find(list.begin(), list.end(), c) != list.end();
    };
    if (mount.version == CgroupVersion::V2) {
      std::string enabled = dir == point ? "" : files[parent_of(dir) + "/cgroup.subtree_control"];
      if (dir != point) files[dir + "/cgroup.controllers"] = enabled;
      files[dir + "/cgroup.subtree_control"] = "";
      files[dir + "/cpu.stat"] = "usage_usec 0\nuser_usec 0\nsystem_usec 0\n";
      auto on = words(enabled);
      if (dir == point) on = mount.controllers;
      if (has(on, "cpu") && dir != point) files[dir + "/cpu.max"] = "max 100000";
      if (has(on, "memory") && dir != point) {
        for (const char* f : {"memory.max", "memory.swap.max"}) files[dir + "/" + f] = "max";
        files[dir + "/memory.current"] = "0";
        files[dir + "/memory.peak"] = "0";
        files[dir + "/memory.oom.group"] = "0";
        files[dir + "/memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n";
      }
      if (has(on, "cpuset") && dir != point) {
        files[dir + "/cpuset.cpus"] = "";
        files[dir + "/cpuset.cpus.effective"] = "0-3";
      }
      return;
    }
    if (has(mount.controllers, "cpu")) {
      files[dir + "/cpu.cfs_quota_us"] = "-1";
      files[dir + "/cpu.cfs_period_us"] = "100000";
      files[dir + "/cpu.stat"] = "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n";
    }
    if (has(mount.controllers, "cpuacct")) files[dir + "/cpuacct.usage"] = "0";
    if (has(mount.controllers, "cpuset")) {
      files[dir + "/cpuset.cpus"] = dir == point ? "0-3" : "";
      files[dir + "/cpuset.mems"] = dir == point ? "0" : "";
      files[dir + "/cpuset.effective_cpus"] = "0-3";
    }
    if (has(mount.controllers, "memory")) {
      files[dir + "/memory.limit_in_bytes"] = "9223372036854771712";
      files[dir + "/memory.memsw.limit_in_bytes"] = "9223372036854771712";
      files[dir + "/memory.max_usage_in_bytes"] = "0";
      files[dir + "/memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n";
      files[dir + "/memory.failcnt"] = "0";
    }
  }

  int write_subtree_control(const std::string& dir, const std::string& value) {
    auto offered = words(*read(dir + "/cgroup.controllers"));
    auto enabled = words(files[dir + "/cgroup.subtree_control"]);
    bool top = dir == mount_of(dir);
    if (!top && !parse_pids(files[dir + "/cgroup.procs"]).empty()) return EBUSY;
    for (const auto& word : words(value)) {
      std::string controller = word.substr(1);
      if (std::find(offered.begin(), offered.end(), controller) == offered.end()) return ENOENT;
      if (std::find(enabled.begin(), enabled.end(), controller) == enabled.end())
        enabled.push_back(controller);
    }
    std::string text;
    for (const auto& c : enabled) text += (text.empty() ? "" : " ") + c;
    files[dir + "/cgroup.subtree_control"] = text;
    return 0;
  }

  int move_process(const std::string& dir, const std::string& value, const Mount& mount) {
    pid_t member = value == "0" ? pid : static_cast<pid_t>(std::stol(value));
    if (mount.version == CgroupVersion::V2 && dir != mount_of(dir) &&
        !words(files[dir + "/cgroup.subtree_control"]).empty()) {
      return EBUSY;
    }
    if (mount.version == CgroupVersion::V1 && files.count(dir + "/cpuset.cpus") &&
        (words(files[dir + "/cpuset.cpus"]).empty() ||
         words(files[dir + "/cpuset.mems"]).empty())) {
      return ENOSPC;
    }
    std::string point = mount_of(dir);
    for (auto& [path, text] : files) {
      if (path.rfind(point, 0) != 0 || path.size() < 13 ||
          path.substr(path.size() - 13) != "/cgroup.procs")
        continue;
      auto pids = parse_pids(text);
      std::string kept;
      for (pid_t p : pids) {
        if (p != member) kept += std::to_string(p) + "\n";
      }
      text = kept;
    }
    add_process(dir, member);
    return 0;
  }
};

}  // namespace coldbench::limits::testing
