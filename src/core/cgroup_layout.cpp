#include "core/cgroup_layout.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "core/text.hpp"

namespace coldbench {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  for (auto part : split(text, ' ')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() &&
        std::all_of(text.begin() + static_cast<long>(i) + 1,
                    text.begin() + static_cast<long>(i) + 4,
                    [](char c) { return c >= '0' && c <= '7'; })) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

struct CgroupMount {
  CgroupVersion version;
  std::string root;                      // the hierarchy path mounted there (field 4), usually "/"
  std::string mount_point;               // field 5
  std::vector<std::string> controllers;  // v1: from the super options
};

std::vector<CgroupMount> parse_mounts(std::string_view mountinfo) {
  std::vector<CgroupMount> mounts;
  for (auto line : split(mountinfo, '\n')) {
    auto fields = words(line);
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    auto dash = std::find(fields.begin(), fields.end(), std::string_view("-"));
    if (fields.size() < 7 || dash == fields.end() || dash + 3 > fields.end()) continue;
    std::string_view fstype = *(dash + 1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount mount;
    mount.version = fstype == "cgroup2" ? CgroupVersion::V2 : CgroupVersion::V1;
    mount.root = unescape_octal(fields[3]);
    mount.mount_point = unescape_octal(fields[4]);
    if (mount.version == CgroupVersion::V1 && dash + 3 < fields.end()) {
      for (auto option : split(*(dash + 3), ',')) mount.controllers.emplace_back(option);
    }
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

// /proc/self/cgroup: "ID:controller,list:/path"; the v2 line is "0::/path".
std::map<std::string, std::string> parse_proc_cgroup(std::string_view text,
                                                     std::string& unified_path) {
  std::map<std::string, std::string> paths;
  for (auto line : split(text, '\n')) {
    std::size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (controllers.empty()) {
      unified_path = path;
      continue;
    }
    for (auto controller : split(controllers, ',')) paths[std::string(controller)] = path;
  }
  return paths;
}

// The directory of cgroup `path` under a mount of hierarchy path `root`.
std::string directory_of(const CgroupMount& mount, const std::string& path) {
  std::string relative = path;
  if (mount.root != "/" && relative.rfind(mount.root, 0) == 0) {
    relative = relative.substr(mount.root.size());
  } else if (mount.root != "/") {
    // Our cgroup is outside what is mounted here (a container that sees part
    // of the hierarchy without a cgroup namespace): we can only use the mount's top.
    relative = "/";
  }
  if (relative.empty() || relative == "/") return mount.mount_point;
  if (relative.front() != '/') relative = "/" + relative;
  return mount.mount_point + relative;
}

// Several mounts of one hierarchy (bind mounts): prefer the one whose root contains our cgroup.
const CgroupMount* best_mount(const std::vector<const CgroupMount*>& candidates,
                              const std::string& path) {
  const CgroupMount* best = nullptr;
  for (const auto* mount : candidates) {
    bool contains = mount->root == "/" || path.rfind(mount->root, 0) == 0;
    if (!best || (contains && mount->root.size() > best->root.size())) best = mount;
  }
  return best;
}

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

std::string_view to_string(CgroupVersion version) {
  return version == CgroupVersion::V1 ? "v1" : "v2";
}

const std::vector<std::string>& known_controllers() {
  static const std::vector<std::string> names = {"cpu", "cpuacct", "cpuset", "memory"};
  return names;
}

const ControllerPlace* CgroupLayout::find(std::string_view controller) const {
  auto it = controllers.find(std::string(controller));
  return it == controllers.end() ? nullptr : &it->second;
}

std::string CgroupLayout::mode() const {
  bool v1 = std::any_of(controllers.begin(), controllers.end(), [](const auto& entry) {
    return entry.second.version == CgroupVersion::V1;
  });
  if (v1 && unified) return "hybrid";
  if (v1) return "v1";
  if (unified) return "v2";
  return "none";
}

CgroupLayout parse_cgroup_layout(std::string_view mountinfo, std::string_view proc_self_cgroup,
                                 std::string_view unified_controllers) {
  auto mounts = parse_mounts(mountinfo);
  std::string unified_path;
  auto v1_paths = parse_proc_cgroup(proc_self_cgroup, unified_path);

  CgroupLayout layout;
  std::vector<const CgroupMount*> unified_mounts;
  for (const auto& mount : mounts) {
    if (mount.version == CgroupVersion::V2) unified_mounts.push_back(&mount);
  }
  if (!unified_mounts.empty()) {
    std::string path = unified_path.empty() ? "/" : unified_path;
    const CgroupMount* mount = best_mount(unified_mounts, path);
    layout.unified =
        ControllerPlace{CgroupVersion::V2, mount->mount_point, path, directory_of(*mount, path)};
  }
  auto offered_by_v2 = words(unified_controllers);
  for (auto& word : offered_by_v2) {
    while (!word.empty() && word.back() == '\n') word.remove_suffix(1);
  }

  for (const auto& controller : known_controllers()) {
    // A controller bound to a v1 hierarchy cannot be on v2 at the same time.
    std::vector<const CgroupMount*> v1_mounts;
    for (const auto& mount : mounts) {
      if (mount.version == CgroupVersion::V1 &&
          std::find(mount.controllers.begin(), mount.controllers.end(), controller) !=
              mount.controllers.end()) {
        v1_mounts.push_back(&mount);
      }
    }
    if (!v1_mounts.empty()) {
      auto path_it = v1_paths.find(controller);
      std::string path = path_it == v1_paths.end() ? "/" : path_it->second;
      const CgroupMount* mount = best_mount(v1_mounts, path);
      layout.controllers[controller] =
          ControllerPlace{CgroupVersion::V1, mount->mount_point, path, directory_of(*mount, path)};
    } else if (layout.unified && std::find(offered_by_v2.begin(), offered_by_v2.end(),
                                           controller) != offered_by_v2.end()) {
      layout.controllers[controller] = *layout.unified;
    }
  }
  return layout;
}

Expected<CgroupLayout> detect_cgroup_layout() {
  std::string mountinfo = read_text("/proc/self/mountinfo");
  if (mountinfo.empty()) return make_error("cannot read /proc/self/mountinfo (is /proc mounted?)");
  std::string own = read_text("/proc/self/cgroup");
  // Which controllers v2 offers: the unified mount's top cgroup.controllers.
  std::string offered;
  CgroupLayout probe = parse_cgroup_layout(mountinfo, own, "");
  if (probe.unified) offered = read_text(probe.unified->mount_point + "/cgroup.controllers");
  return parse_cgroup_layout(mountinfo, own, offered);
}

std::optional<int64_t> parse_single_value(std::string_view text) {
  text = trim(text);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace coldbench
