#pragma once
// The mountpoint of the sandbox's per-run HOME: an empty directory the
// harness creates once per session, on which every run's child mounts a
// fresh tmpfs (visible only inside that run's mount namespace, so nothing is
// ever written to the directory itself). It lives outside /tmp because /tmp
// is itself replaced by an empty tmpfs inside the sandbox.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace coldbench::isolate {

inline constexpr const char* kSandboxHomeBase = "/var/tmp";
inline constexpr std::string_view kSandboxHomePrefix = "coldbench-home-";

// "coldbench-home-<pid>-XXXXXX" -> pid; nullopt for any other name.
std::optional<pid_t> sandbox_home_owner(std::string_view name);

class SandboxHome {
 public:
  // Creates BASE/coldbench-home-<our pid>-XXXXXX (mode 0700), after removing
  // empty ones left behind by harnesses that were killed (their pid is gone).
  static Expected<SandboxHome> create(const std::string& base = kSandboxHomeBase);

  SandboxHome(SandboxHome&& other) noexcept;
  SandboxHome& operator=(SandboxHome&& other) noexcept;
  SandboxHome(const SandboxHome&) = delete;
  SandboxHome& operator=(const SandboxHome&) = delete;
  ~SandboxHome();

  const std::string& path() const { return path_; }

 private:
  explicit SandboxHome(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Removes empty BASE/coldbench-home-<pid>-* directories owned by `uid` whose
// pid no longer runs. Returns how many were removed.
int remove_stale_sandbox_homes(const std::string& base, uid_t uid);

}  // namespace coldbench::isolate
