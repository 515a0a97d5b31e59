#pragma once
// How to invoke a container engine on this host, decided from what was
// detected rather than hard-coded: an OCI runtime that supports the host's
// cgroup layout (crun refuses hybrid v1+v2 hosts), a cgroup manager that
// exists (systemd's only where systemd runs), and rlimits within the hard
// limits (engines ask for RLIMIT_NOFILE 1048576, which a process without
// CAP_SYS_RESOURCE cannot grant). plan_engine() is pure; the detect_*
// functions gather its inputs.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "isolate/isolation_spec.hpp"

namespace coldbench::isolate {

struct RlimitPair {
  uint64_t soft = 0;
  uint64_t hard = 0;  // RLIM_INFINITY when unlimited
};

// What the host offers, seen from the harness.
struct HostFacts {
  std::string cgroup_mode;          // "v1" | "v2" | "hybrid" | "none" (CgroupLayout::mode())
  bool systemd_running = false;     // /run/systemd/system exists
  bool can_raise_rlimits = false;   // CAP_SYS_RESOURCE in the effective set
  std::optional<RlimitPair> nofile;
  std::optional<RlimitPair> nproc;
  std::optional<uint64_t> pid_max;  // kernel.pid_max: podman lowers its own RLIMIT_NPROC to it
  std::map<std::string, std::string> runtimes;  // OCI runtimes found: name -> path ("runc", "crun")
};

// What the engine says about itself (`podman info`, `docker info`/`version`).
struct EngineFacts {
  IsolationMode engine = IsolationMode::Podman;
  std::string version;
  std::string runtime;          // its default OCI runtime, e.g. "crun"
  std::string cgroup_manager;   // "cgroupfs" | "systemd"
  std::string cgroup_version;   // as the engine reports it ("v1", "1", "v2", "2")
  bool podman_service = false;  // docker client talking to podman's Docker-API service
};

struct EnginePlan {
  std::vector<std::string> global_args;  // between the client and its subcommand (podman only)
  std::vector<std::string> run_args;     // added to every `run`
  std::vector<std::string> choices;      // what was chosen and why, one sentence each
  std::optional<std::string> problem;    // why runs cannot work here, with the fix
};

EnginePlan plan_engine(const EngineFacts& engine, const HostFacts& host);

// The host's side, read from /proc, /sys and PATH.
HostFacts detect_host_facts(const std::string& path_value);

// Parses `podman info --format json` or `docker info --format '{{json .}}'`;
// `version_json` is docker's `version --format '{{json .Server}}'` (names
// "Podman Engine" when podman serves the Docker API), empty for podman.
Expected<EngineFacts> parse_engine_facts(IsolationMode engine, const std::string& info_json,
                                         const std::string& version_json);

// The commands whose output parse_engine_facts reads.
std::vector<std::string> engine_facts_argv(IsolationMode engine, const std::string& client);
std::vector<std::string> engine_version_argv(const std::string& client);  // docker only

// The image's declared host mounts: the label io.coldbench.host-mounts
// ("SRC:DST[:ro],...") from `image inspect --format '{{json .Config.Labels}}'`.
inline constexpr const char* kHostMountsLabel = "io.coldbench.host-mounts";
Expected<std::vector<ContainerMount>> parse_image_host_mounts(const std::string& labels_json);

}  // namespace coldbench::isolate
