#pragma once
// What the user asked for with --isolate, --image and --mount: the isolation
// mode of every run and, for container engines, the image and bind mounts.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::isolate {

enum class IsolationMode { Host, Sandbox, Docker, Podman };

// "host" | "sandbox" | "docker" | "podman"; an error names the choices.
Expected<IsolationMode> parse_isolation_mode(std::string_view text);
// The word recorded in RunRecord::isolation and the results' options.
const char* isolation_name(IsolationMode mode);
inline bool is_container_engine(IsolationMode mode) {
  return mode == IsolationMode::Docker || mode == IsolationMode::Podman;
}

// A bind mount into a container: --mount SRC:DST[:ro].
struct ContainerMount {
  std::string source;  // absolute host path
  std::string target;  // absolute path inside the container
  bool read_only = false;

  bool operator==(const ContainerMount&) const = default;
};

// Parses SRC:DST[:ro|:rw]. A relative SRC is made absolute against `cwd`
// (the harness's own working directory), since engines read a relative
// source as a named volume. Existence of SRC is checked by the caller.
Expected<ContainerMount> parse_container_mount(std::string_view text, const std::string& cwd);

struct IsolationSpec {
  IsolationMode mode = IsolationMode::Host;
  std::string image;                   // docker/podman only
  std::vector<ContainerMount> mounts;  // docker/podman only
};

// Checks the combination of flags: --image is required by and only allowed
// with docker/podman, and so are mounts.
Expected<IsolationSpec> make_isolation_spec(std::string_view mode, const std::string& image,
                                            const std::vector<std::string>& mounts,
                                            const std::string& cwd);

}  // namespace coldbench::isolate
