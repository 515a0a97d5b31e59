#include "cache/file_mappers.hpp"

#include <dirent.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "core/units.hpp"

namespace coldbench::cache {
namespace {

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string command_line(int pid, std::size_t chars) {
  std::string raw = read_whole(fmt::format("/proc/{}/cmdline", pid));
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  // Arguments are NUL-separated; a newline or tab inside one (python3 -c '...') would break the
  // line shown.
  for (auto& c : raw) {
    if (c == '\0' || c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  if (raw.empty()) {
    raw = read_whole(fmt::format("/proc/{}/comm", pid));
    while (!raw.empty() && (raw.back() == '\n')) raw.pop_back();
    raw = "[" + raw + "]";
  }
  if (raw.size() > chars) raw = raw.substr(0, chars) + "...";
  return raw;
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::set<std::string> parse_mapped_paths(std::string_view maps_text) {
  std::set<std::string> paths;
  std::size_t start = 0;
  while (start < maps_text.size()) {
    std::size_t end = maps_text.find('\n', start);
    if (end == std::string_view::npos) end = maps_text.size();
    std::string_view line = maps_text.substr(start, end - start);
    start = end + 1;
    // address perms offset dev inode pathname: skip five fields and the blanks after them.
    std::size_t pos = 0;
    bool complete = true;
    for (int field = 0; field < 5; ++field) {
      while (pos < line.size() && line[pos] == ' ') ++pos;
      std::size_t next = line.find(' ', pos);
      if (next == std::string_view::npos) {
        complete = false;
        break;
      }
      pos = next;
    }
    if (!complete) continue;
    while (pos < line.size() && line[pos] == ' ') ++pos;
    std::string_view path = line.substr(pos);
    if (path.empty() || path.front() != '/') continue;
    constexpr std::string_view kDeleted = " (deleted)";
    if (path.size() >= kDeleted.size() && path.substr(path.size() - kDeleted.size()) == kDeleted)
      continue;
    paths.emplace(path);
  }
  return paths;
}

std::map<std::string, std::vector<FileMapper>> find_file_mappers(const std::set<std::string>& paths,
                                                                 int exclude,
                                                                 std::size_t command_chars) {
  std::map<std::string, std::vector<FileMapper>> found;
  if (paths.empty()) return found;
  DIR* proc = opendir("/proc");
  if (!proc) return found;
  std::vector<int> pids;
  while (dirent* entry = readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.empty() ||
        !std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); }))
      continue;
    pids.push_back(std::stoi(name));
  }
  closedir(proc);
  std::sort(pids.begin(), pids.end());
  for (int pid : pids) {
    if (pid == exclude) continue;
    // Unreadable (another user's process without root) or gone: nothing to say about it.
    const std::string text = read_whole(fmt::format("/proc/{}/maps", pid));
    if (text.empty()) continue;
    std::string command;
    for (const auto& path : parse_mapped_paths(text)) {
      if (!paths.count(path)) continue;
      if (command.empty()) command = command_line(pid, command_chars);
      found[path].push_back(FileMapper{pid, command});
    }
  }
  return found;
}

std::vector<LeftResident> left_resident_files(
    const std::vector<FileResidency>& after_eviction,
    const std::map<std::string, std::vector<FileMapper>>& mappers, double min_fraction,
    int64_t min_bytes) {
  std::vector<LeftResident> left;
  for (const auto& f : after_eviction) {
    if (f.size_bytes <= 0 || f.resident_bytes < min_bytes) continue;
    if (double(f.resident_bytes) / double(f.size_bytes) < min_fraction) continue;
    LeftResident file{f.path, f.size_bytes, f.resident_bytes, {}};
    if (auto it = mappers.find(f.path); it != mappers.end()) file.mappers = it->second;
    left.push_back(std::move(file));
  }
  std::stable_sort(left.begin(), left.end(), [](const LeftResident& a, const LeftResident& b) {
    return a.resident_bytes > b.resident_bytes;
  });
  return left;
}

std::string describe_left_resident(const LeftResident& file, std::size_t shown_mappers) {
  const double percent =
      file.size_bytes > 0 ? 100.0 * double(file.resident_bytes) / double(file.size_bytes) : 0;
  std::string text = fmt::format("{:.0f}% of {} ({}) stays resident after eviction", percent,
                                 base_name(file.path), format_bytes(double(file.resident_bytes)));
  if (file.mappers.empty())
    return text +
           ": no process maps it (pages under writeback, or a filesystem that cannot drop them)";
  text += ": mapped by ";
  for (std::size_t i = 0; i < file.mappers.size() && i < shown_mappers; ++i) {
    if (i > 0) text += ", ";
    text += fmt::format("pid {} ({})", file.mappers[i].pid, file.mappers[i].command);
  }
  if (file.mappers.size() > shown_mappers)
    text += fmt::format(" and {} more", file.mappers.size() - shown_mappers);
  return text;
}

}  // namespace coldbench::cache
