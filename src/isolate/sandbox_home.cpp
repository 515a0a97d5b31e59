#include "isolate/sandbox_home.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>
#include <vector>

namespace coldbench::isolate {

std::optional<pid_t> sandbox_home_owner(std::string_view name) {
  if (name.substr(0, kSandboxHomePrefix.size()) != kSandboxHomePrefix) return std::nullopt;
  std::string_view rest = name.substr(kSandboxHomePrefix.size());
  auto dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= rest.size()) return std::nullopt;
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + dash, pid);
  if (ec != std::errc() || end != rest.data() + dash || pid <= 0) return std::nullopt;
  return pid;
}

int remove_stale_sandbox_homes(const std::string& base, uid_t uid) {
  DIR* dir = opendir(base.c_str());
  if (!dir) return 0;
  std::vector<std::string> stale;
  while (dirent* entry = readdir(dir)) {
    auto owner = sandbox_home_owner(entry->d_name);
    if (!owner) continue;
    std::string path = base + "/" + entry->d_name;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid) continue;
    // kill(pid, 0) fails with ESRCH only when no such process exists; EPERM
    // means someone else's live process reuses the pid, so keep the directory.
    if (kill(*owner, 0) == 0 || errno != ESRCH) continue;
    stale.push_back(std::move(path));
  }
  closedir(dir);
  int removed = 0;
  for (const auto& path : stale)
    removed += rmdir(path.c_str()) == 0 ? 1 : 0;  // rmdir: only if empty
  return removed;
}

Expected<SandboxHome> SandboxHome::create(const std::string& base) {
  struct stat st {};
  if (stat(base.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(
        "--isolate sandbox: {} does not exist; the sandbox needs it for the per-run HOME "
        "mountpoint "
        "(create it with `mkdir -m 1777 {}`)",
        base, base);
  }
  remove_stale_sandbox_homes(base, geteuid());
  std::string pattern =
      base + "/" + std::string(kSandboxHomePrefix) + std::to_string(getpid()) + "-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!mkdtemp(buffer.data())) {
    return make_error(
        "--isolate sandbox: cannot create the HOME mountpoint {}: {} (check that {} is writable)",
        pattern, std::strerror(errno), base);
  }
  return SandboxHome(std::string(buffer.data()));
}

SandboxHome::SandboxHome(SandboxHome&& other) noexcept : path_(std::exchange(other.path_, {})) {}

SandboxHome& SandboxHome::operator=(SandboxHome&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) rmdir(path_.c_str());
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

SandboxHome::~SandboxHome() {
  if (!path_.empty()) rmdir(path_.c_str());
}

}  // namespace coldbench::isolate
