// `coldbench run --isolate host|sandbox|docker|podman [--image IMAGE]
// [--mount SRC:DST[:ro]]...`: turns the flags into the setup's IsolationSpec.

#include <memory>

#include "cli/run_option_groups.hpp"
#include "isolate/isolation_hook.hpp"
#include "isolate/isolation_spec.hpp"
#include "isolate/sandbox_hook.hpp"

namespace coldbench::cli {
namespace {

class IsolationOptionGroup : public RunOptionGroup {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option(
           "--isolate", mode_,
           "host (default): a plain process. sandbox: new mount/PID/IPC/UTS namespaces (and a user "
           "namespace when not root) with fresh tmpfs /tmp, /dev/shm and HOME per run, read-only "
           "/proc/sys and /sys, no capabilities, no daemon needed; for clean measurements, NOT a "
           "security boundary: a workload keeps its uid's file rights (as root: writing /etc, "
           "/root, devices) and the network. "
           "docker|podman: each run in a container of --image with the same limits, the engine invoked as "
           "this host needs (`coldbench env` shows how), and coldbench-entry as the container's entry point: "
           "it marks container_ready and workload_exited and confirms the limits from inside "
           "(docs/isolation.md)")
        ->check(CLI::IsMember({"host", "sandbox", "docker", "podman"}));
    sub.add_option(
        "--image", image_,
        "Container image for --isolate docker|podman; must be present locally (never pulled). "
        "scripts/host-image builds one whose /usr is this host's, mounted read-only, so host and "
        "container run the same binaries (and --cache can trace the workload on the host)");
    sub.add_option(
        "--mount", mounts_,
        "SRC:DST[:ro] bind mount into the container (docker|podman; repeatable); relative SRC is "
        "taken from the current directory");
  }

  Expected<void> apply(const bench::SessionOptions&, setup::RunSetup& run_setup) override {
    auto spec = isolate::make_isolation_spec(mode_, image_, mounts_, run_setup.cwd);
    if (!spec) return spec.error();
    run_setup.isolation = std::move(spec).value();
    return {};
  }

  void describe(const setup::RunSetup& run_setup, const setup::RunHooks& hooks,
                nlohmann::json& options_json) const override {
    const isolate::IsolationSpec* spec = &run_setup.isolation;
    nlohmann::json description = {{"mode", isolate::isolation_name(spec->mode)}};
    if (auto* sandbox = dynamic_cast<const isolate::SandboxHook*>(hooks.isolation.get())) {
      description["user_namespace"] = sandbox->plan().user_namespace;
    }
    if (isolate::is_container_engine(spec->mode)) {
      description["image"] = spec->image;
      nlohmann::json mounts = nlohmann::json::array();
      for (const auto& m : spec->mounts) {
        mounts.push_back({{"source", m.source}, {"target", m.target}, {"read_only", m.read_only}});
      }
      description["mounts"] = mounts;
    }
    options_json["isolation"] = description;
  }

 private:
  std::string mode_ = "host";
  std::string image_;
  std::vector<std::string> mounts_;
};

}  // namespace

std::unique_ptr<RunOptionGroup> make_isolation_options() {
  return std::make_unique<IsolationOptionGroup>();
}

}  // namespace coldbench::cli
