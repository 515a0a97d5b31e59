#include "proc/descendants.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>

namespace coldbench::proc {
namespace {

constexpr int kMaxEndRounds = 1000;  // a fork bomb must not keep us here forever

std::string read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<pid_t> to_pid(std::string_view text) {
  pid_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// The numeric entries of a /proc directory.
std::vector<pid_t> numeric_entries(const std::string& dir) {
  std::vector<pid_t> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (auto pid = to_pid(e->d_name)) out.push_back(*pid);
  }
  closedir(d);
  return out;
}

}  // namespace

void become_subreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

std::vector<pid_t> child_pids() {
  std::vector<pid_t> children;
  const std::string self = "/proc/" + std::to_string(getpid());
  bool listed = false;
  for (pid_t tid : numeric_entries(self + "/task")) {
    std::ifstream in(self + "/task/" + std::to_string(tid) + "/children");
    if (!in) continue;
    listed = true;
    pid_t pid = 0;
    while (in >> pid) children.push_back(pid);
  }
  if (!listed) {
    // A kernel without CONFIG_PROC_CHILDREN: every process's parent, the long way.
    const pid_t own = getpid();
    for (const auto& entry : read_process_table()) {
      if (entry.ppid == own) children.push_back(entry.pid);
    }
  }
  std::sort(children.begin(), children.end());
  children.erase(std::unique(children.begin(), children.end()), children.end());
  return children;
}

int end_children_except(const std::vector<pid_t>& keep) {
  int ended = 0;
  for (int round = 0; round < kMaxEndRounds; ++round) {
    std::vector<pid_t> extra;
    for (pid_t pid : child_pids()) {
      if (std::find(keep.begin(), keep.end(), pid) == keep.end()) extra.push_back(pid);
    }
    if (extra.empty()) break;
    for (pid_t pid : extra) kill(pid, SIGKILL);
    // Reaping each one is also what hands its own children to us for the next round.
    for (pid_t pid : extra) {
      while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
      }
      ++ended;
    }
  }
  return ended;
}

int wait_for_children_except(const std::vector<pid_t>& keep, double grace_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
  for (;;) {
    bool any_left = false;
    for (pid_t pid : child_pids()) {
      if (std::find(keep.begin(), keep.end(), pid) != keep.end()) continue;
      pid_t reaped;
      while ((reaped = waitpid(pid, nullptr, __WALL | WNOHANG)) < 0 && errno == EINTR) {
      }
      if (reaped == 0) any_left = true;  // still running
    }
    if (!any_left) return 0;
    if (std::chrono::steady_clock::now() >= deadline) return end_children_except(keep);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool parse_proc_stat(std::string_view text, ProcessEntry& entry) {
  // comm may hold spaces and parentheses: the fields resume after the last ')'.
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
  auto pid = to_pid(text.substr(0, open == 0 ? 0 : open - 1));
  if (!pid) return false;
  std::istringstream rest(std::string(text.substr(close + 1)));
  char state = '?';
  long ppid = -1, pgid = -1;
  if (!(rest >> state >> ppid >> pgid)) return false;
  entry.pid = *pid;
  entry.state = state;
  entry.ppid = static_cast<pid_t>(ppid);
  entry.pgid = static_cast<pid_t>(pgid);
  return true;
}

std::vector<ProcessEntry> read_process_table() {
  std::vector<ProcessEntry> table;
  for (pid_t pid : numeric_entries("/proc")) {
    ProcessEntry entry;
    if (parse_proc_stat(read_small_file("/proc/" + std::to_string(pid) + "/stat"), entry)) {
      table.push_back(entry);
    }
  }
  return table;
}

bool environ_has(pid_t pid, std::string_view entry) {
  std::string text = read_small_file("/proc/" + std::to_string(pid) + "/environ");
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    if (std::string_view(text).substr(start, end - start) == entry) return true;
    start = end + 1;
  }
  return false;
}

std::vector<pid_t> run_processes(const std::vector<ProcessEntry>& table, pid_t pgid,
                                 const std::function<bool(pid_t)>& tagged) {
  std::set<pid_t> found;
  for (const auto& p : table) {
    if (p.state == 'Z') continue;
    if ((pgid > 0 && p.pgid == pgid) || (tagged && tagged(p.pid))) found.insert(p.pid);
  }
  // Descendants by parent pid, until a pass adds nothing (the table is in pid order, not tree order).
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& p : table) {
      if (p.state != 'Z' && !found.count(p.pid) && found.count(p.ppid)) grew = found.insert(p.pid).second || grew;
    }
  }
  return std::vector<pid_t>(found.begin(), found.end());
}

}  // namespace coldbench::proc
