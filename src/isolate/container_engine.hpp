#pragma once
// Talking to a container engine outside the measured runs: finding its
// client, checking once before any run that an engine answers and that the
// image is present (a pull must never be timed), and killing a container
// whose client was killed.

#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
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

// The `info` command whose success means an engine answers.
std::vector<std::string> engine_info_argv(IsolationMode engine, const std::string& client);

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

// Engine answers and image present; otherwise an error (exit 2) that says how to fix it.
Expected<void> check_engine_ready(IsolationMode engine, const std::string& client,
                                  const std::string& image);

}  // namespace coldbench::isolate
