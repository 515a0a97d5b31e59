#pragma once
// Talking to a container engine outside the measured runs: finding its
// client, checking once before any run that an engine answers and that the
// image is present (a pull must never be timed), and killing a container
// whose client was killed.

#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "isolate/engine_plan.hpp"
#include "isolate/isolation_spec.hpp"

namespace coldbench::isolate {

// How an engine client command ended, with its output (stdout and stderr).
struct EngineReply {
  std::optional<int> exit_code;  // unset when killed by a signal or timed out
  bool timed_out = false;
  std::string output;

  bool ok() const { return exit_code && *exit_code == 0; }
};

// Runs CLIENT ARGS... with our own environment, outside any run.
Expected<EngineReply> run_engine_command(const std::vector<std::string>& argv, double timeout_s);

// Finds the client ("docker" or "podman") in `path_value` (a PATH string).
Expected<std::string> find_engine_client(IsolationMode engine, const std::string& path_value);


// What a failed `info` means and how to fix it. `socket_missing` names the
// engine socket when it is known not to exist (e.g. /var/run/docker.sock).
std::string explain_engine_unavailable(IsolationMode engine, const EngineReply& reply,
                                       const std::string& socket_missing);

// What a failed `image inspect` means: the image is not present locally.
std::string explain_missing_image(IsolationMode engine, const std::string& image,
                                  const EngineReply& reply);

// The default socket of the engine that is absent, or "" (present, unknown,
// or DOCKER_HOST / CONTAINER_HOST points elsewhere).
std::string missing_engine_socket(IsolationMode engine);

// The engine as detected and the invocation planned for this host.
struct EngineState {
  EngineFacts facts;
  EnginePlan plan;
};

// Asks the engine about itself and plans its invocation; an error (exit 2)
// that says how to fix it when it does not answer. A plan with a problem is
// returned as is (`coldbench env` reports it; runs refuse it).
Expected<EngineState> inspect_engine(IsolationMode engine, const std::string& client);

// The image is present locally; the host mounts it declares (kHostMountsLabel),
// each of whose sources must exist here. Otherwise an error that says how to fix it.
Expected<std::vector<ContainerMount>> image_host_mounts(IsolationMode engine, const std::string& client,
                                                        const std::string& image);

// What a session's runs need from the engine, checked once before any run.
struct EngineSetup {
  EngineState state;
  std::vector<ContainerMount> image_mounts;  // declared by the image (kHostMountsLabel)
};

// Engine answers, can run containers on this host, image present; otherwise
// an error (exit 2) that says how to fix it.
Expected<EngineSetup> prepare_engine(IsolationMode engine, const std::string& client,
                                     const std::string& image);

// The image scripts/host-image builds by default: the host's /usr, read-only.
inline constexpr const char* kHostImage = "localhost/coldbench-host:1";

// Runs `/usr/bin/true` in `image` as a run would (the plan's flags, the
// image's mounts, the entry point): "" when it worked, else the engine's
// words. For `coldbench env`, with what it already asked the engine.
std::string trial_container(const std::string& client, const EnginePlan& plan, const std::string& image,
                            const std::vector<ContainerMount>& mounts);

// The entry point mounted into every container (src/entry): COLDBENCH_ENTRY,
// else coldbench-entry beside the running binary.
std::string entry_program_path();

}  // namespace coldbench::isolate
