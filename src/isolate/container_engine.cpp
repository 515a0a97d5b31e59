#include "isolate/container_engine.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "core/env_var.hpp"
#include "isolate/container_command.hpp"
#include "proc/spawn.hpp"


namespace coldbench::isolate {
namespace {

constexpr double kEngineCheckTimeoutS = 30;

class CollectOutput : public proc::OutputObserver {
 public:
  void on_marker_line(std::string_view, int64_t) override {}
  bool on_output_line(proc::Stream, std::string_view line, int64_t) override {
    text += line;
    text += '\n';
    return true;
  }
  std::string text;
};

// The first two non-empty lines, trimmed: enough to quote the engine's reason.
std::string quote_output(const std::string& output) {
  std::string quoted;
  int lines = 0;
  std::size_t start = 0;
  while (start < output.size() && lines < 2) {
    std::size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    std::string line = output.substr(start, end - start);
    auto first = line.find_first_not_of(" \t\r");
    // A JSON document (`info --format json` before its error) is not the reason.
    if (first != std::string::npos && line[first] != '{') {
      line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
      quoted += (quoted.empty() ? "" : " / ") + line;
      ++lines;
    }
    start = end + 1;
  }
  if (quoted.size() > 400) quoted = quoted.substr(0, 400) + "...";
  return quoted.empty() ? "(no output)" : quoted;
}

bool contains(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

const char* engine_word(IsolationMode engine) {
  return engine == IsolationMode::Podman ? "podman" : "docker";
}

}  // namespace

Expected<EngineReply> run_engine_command(const std::vector<std::string>& argv, double timeout_s) {
  proc::SpawnRequest request;
  request.program = argv.at(0);
  request.argv = argv;
  request.env = current_environment();
  request.timeout_s = timeout_s;
  request.marker_pipe = false;
  request.tail_lines = 50;
  CollectOutput output;
  auto result = proc::spawn_and_wait(request, output);
  if (!result) return result.error();
  EngineReply reply;
  reply.timed_out = result->timed_out;
  if (!result->timed_out && WIFEXITED(result->wait_status))
    reply.exit_code = WEXITSTATUS(result->wait_status);
  reply.output = std::move(output.text);
  return reply;
}

Expected<std::string> find_engine_client(IsolationMode engine, const std::string& path_value) {
  auto client = proc::resolve_program(engine_word(engine), path_value, "");
  if (client) return client;
  if (engine == IsolationMode::Podman) {
    return make_error(
        "--isolate podman: the podman client is not installed (not found in PATH={}); install "
        "podman (e.g. `apt-get install podman`), or use --isolate sandbox, which needs no engine",
        path_value);
  }
  return make_error(
      "--isolate docker: the docker client is not installed (not found in PATH={}); install Docker "
      "Engine (https://docs.docker.com/engine/install/), or use --isolate sandbox, which needs no "
      "engine",
      path_value);
}

std::string missing_engine_socket(IsolationMode engine) {
  if (engine != IsolationMode::Docker || std::getenv("DOCKER_HOST")) return {};
  struct stat st {};
  const char* socket = "/var/run/docker.sock";
  return stat(socket, &st) == 0 ? std::string() : std::string(socket);
}

std::string explain_engine_unavailable(IsolationMode engine, const EngineReply& reply,
                                       const std::string& socket_missing) {
  const char* word = engine_word(engine);
  if (reply.timed_out) {
    return fmt::format(
        "--isolate {0}: `{0} info` did not answer within {1:g} s: the engine hangs or is "
        "unreachable; check it with `{0} info`, or use --isolate sandbox",
        word, kEngineCheckTimeoutS);
  }
  std::string says = quote_output(reply.output);
  if (engine == IsolationMode::Docker) {
    if (contains(reply.output, "permission denied")) {
      return fmt::format(
          "--isolate docker: a Docker engine runs, but this user may not use its socket "
          "(`docker info` says: {}). Add the user to the 'docker' group (`sudo usermod -aG docker "
          "$USER`, then log in again), or run as root",
          says);
    }
    std::string socket_note =
        socket_missing.empty() ? std::string() : socket_missing + " does not exist; ";
    return fmt::format(
        "--isolate docker: no Docker engine is running here ({}`docker info` says: {}). Start one "
        "(`sudo systemctl start docker`, or Docker Desktop), or point DOCKER_HOST at a running "
        "engine (with podman installed, `scripts/docker-service start DIR` serves the Docker API); "
        "--isolate sandbox gives per-run namespaces without an engine",
        socket_note, says);
  }
  return fmt::format(
      "--isolate podman: podman cannot run containers here (`podman info` says: {}). Check "
      "`podman info`; rootless podman needs subordinate ids (/etc/subuid, /etc/subgid) and "
      "newuidmap/newgidmap (package uidmap); or use --isolate sandbox",
      says);
}

std::string explain_missing_image(IsolationMode engine, const std::string& image,
                                  const EngineReply& reply) {
  const char* word = engine_word(engine);
  return fmt::format(
      "--image {1}: the image is not present in the local {0} store (`{0} image inspect` says: "
      "{2}). "
      "Pull it first with `{0} pull {1}` (coldbench never pulls, so a download is never timed), or "
      "build an image of this host's own /usr with `scripts/host-image --engine {0}`",
      word, image, quote_output(reply.output));
}

Expected<EngineState> inspect_engine(IsolationMode engine, const std::string& client) {
  const char* word = engine_word(engine);
  auto info = run_engine_command(engine_facts_argv(engine, client), kEngineCheckTimeoutS);
  if (!info) return info.error().with_context(fmt::format("--isolate {}", word));
  if (!info->ok()) return Error{explain_engine_unavailable(engine, *info, missing_engine_socket(engine))};
  std::string version_json;
  if (engine == IsolationMode::Docker) {
    auto version = run_engine_command(engine_version_argv(client), kEngineCheckTimeoutS);
    if (version && version->ok()) version_json = version->output;
  }
  auto facts = parse_engine_facts(engine, info->output, version_json);
  if (!facts) return facts.error().with_context(fmt::format("--isolate {}", word));
  const char* path = std::getenv("PATH");
  EngineState state{*facts, plan_engine(*facts, detect_host_facts(path ? path : ""))};
  return state;
}

std::string entry_program_path() {
  if (const char* configured = std::getenv("COLDBENCH_ENTRY"); configured && *configured) return configured;
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return "coldbench-entry";
  const std::string self(buffer, static_cast<std::size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + "coldbench-entry";
}

Expected<std::vector<ContainerMount>> image_host_mounts(IsolationMode engine, const std::string& client,
                                                        const std::string& image) {
  auto inspect = run_engine_command(
      {client, "image", "inspect", "--format", "{{json .Config.Labels}}", image}, kEngineCheckTimeoutS);
  if (!inspect) return inspect.error().with_context(fmt::format("--isolate {}", engine_word(engine)));
  if (!inspect->ok()) return Error{explain_missing_image(engine, image, *inspect)};
  auto mounts = parse_image_host_mounts(inspect->output);
  if (!mounts) return mounts.error().with_context(fmt::format("--image {}", image));
  for (const auto& mount : *mounts) {
    struct stat st {};
    if (stat(mount.source.c_str(), &st) != 0) {
      return make_error("--image {}: the image expects the host's {} (label {}), which does not exist here",
                        image, mount.source, kHostMountsLabel);
    }
  }
  return mounts;
}

Expected<EngineSetup> prepare_engine(IsolationMode engine, const std::string& client,
                                     const std::string& image) {
  const char* word = engine_word(engine);
  auto state = inspect_engine(engine, client);
  if (!state) return state.error();
  if (state->plan.problem) {
    return make_error("--isolate {}: {} cannot run containers here: {}; `coldbench env` shows what was detected",
                      word, word, *state->plan.problem);
  }
  auto mounts = image_host_mounts(engine, client, image);
  if (!mounts) return mounts.error();
  return EngineSetup{std::move(state).value(), std::move(mounts).value()};
}

std::string trial_container(const std::string& client, const EnginePlan& plan, const std::string& image,
                            const std::vector<ContainerMount>& mounts) {
  ContainerRun run;
  run.client = client;
  run.global_args = plan.global_args;
  run.run_args = plan.run_args;
  run.entry = entry_program_path();
  run.image = image;
  run.mounts = mounts;
  run.command = {"/usr/bin/true"};
  run.name = container_name(static_cast<long>(getpid()), 0) + "-trial";
  auto reply = run_engine_command(container_run_argv(run), kEngineCheckTimeoutS);
  if (!reply) return reply.error().message;
  if (reply->ok()) return {};
  (void)run_engine_command(container_remove_argv(client, run.global_args, run.name), kEngineCheckTimeoutS);
  return quote_output(reply->output);
}

}  // namespace coldbench::isolate
