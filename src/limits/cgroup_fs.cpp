#include "limits/cgroup_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <ctime>

#include "core/fd.hpp"

namespace coldbench::limits {
namespace {

class RealCgroupFs : public CgroupFs {
 public:
  std::optional<std::string> read(const std::string& path, int* error = nullptr) const override {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (error) *error = errno;
      return std::nullopt;
    }
    std::string text;
    char buffer[4096];
    for (;;) {
      ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        if (error) *error = errno;
        return std::nullopt;
      }
      if (n == 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }

  int write(const std::string& path, std::string_view text) override {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return errno;
    ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0) return errno;
    return n == static_cast<ssize_t>(text.size()) ? 0 : EIO;
  }

  bool exists(const std::string& path) const override { return ::access(path.c_str(), F_OK) == 0; }

  int make_dir(const std::string& path) override {
    return ::mkdir(path.c_str(), 0755) == 0 ? 0 : errno;
  }

  int remove_dir(const std::string& path) override {
    return ::rmdir(path.c_str()) == 0 ? 0 : errno;
  }

  std::vector<std::string> subdirectories(const std::string& path) const override {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return names;
    while (dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      if (entry->d_type == DT_DIR) names.push_back(name);
    }
    ::closedir(dir);
    return names;
  }

  void kill_members(const std::string& dir) override {
    // cgroup.kill (Linux 5.14, v2) kills everything atomically, even processes forking right now.
    if (exists(dir + "/cgroup.kill") && write(dir + "/cgroup.kill", "1") == 0) return;
    for (int round = 0; round < 3; ++round) {
      auto text = read(dir + "/cgroup.procs");
      if (!text) return;
      auto pids = parse_pids(*text);
      if (pids.empty()) return;
      for (pid_t pid : pids) ::kill(pid, SIGKILL);
    }
  }

  bool process_running(pid_t pid, std::string_view comm) const override {
    auto text = read("/proc/" + std::to_string(pid) + "/comm");
    if (!text) return false;
    while (!text->empty() && text->back() == '\n') text->pop_back();
    // comm is truncated to 15 characters.
    return *text == comm.substr(0, 15);
  }

  pid_t own_pid() const override { return ::getpid(); }

  std::string own_comm() const override {
    auto text = read("/proc/self/comm");
    std::string comm = text.value_or("");
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    return comm;
  }

  bool is_root() const override { return ::geteuid() == 0; }

  void pause_briefly() override {
    timespec delay{0, 5'000'000};  // 5 ms: an exiting process leaves its cgroup within a few ms
    nanosleep(&delay, nullptr);
  }
};

}  // namespace

CgroupFs& real_cgroup_fs() {
  static RealCgroupFs fs;
  return fs;
}

std::vector<pid_t> parse_pids(std::string_view text) {
  std::vector<pid_t> pids;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    pid_t pid = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + end, pid);
    if (ec == std::errc() && ptr == text.data() + end && pid > 0) pids.push_back(pid);
    start = end + 1;
  }
  return pids;
}

}  // namespace coldbench::limits
