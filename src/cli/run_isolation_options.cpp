// `coldbench run --isolate host|sandbox|docker|podman [--image IMAGE]
// [--mount SRC:DST[:ro]]...`: turns the flags into the isolation run hook.
// Container engines apply the limits themselves, so this group reads the
// LimitSpec the limits group parsed (shared through make_run_option_groups).

#include <unistd.h>

#include <climits>
#include <memory>

#include "cli/run_option_groups.hpp"
#include "isolate/isolation_hook.hpp"
#include "isolate/isolation_spec.hpp"
#include "isolate/sandbox_hook.hpp"
#include "limits/limit_spec.hpp"

namespace coldbench::cli {
namespace {

std::string current_directory() {
  char buffer[PATH_MAX];
  return getcwd(buffer, sizeof buffer) ? std::string(buffer) : std::string(".");
}

class IsolationOptionGroup : public RunOptionGroup {
 public:
  explicit IsolationOptionGroup(std::shared_ptr<const limits::LimitSpec> limits)
      : limits_(std::move(limits)) {}

  void add_options(CLI::App& sub) override {
    sub.add_option(
           "--isolate", mode_,
           "host (default): a plain process. sandbox: new mount/PID/IPC/UTS namespaces (and a user "
           "namespace when not root) with fresh tmpfs /tmp, /dev/shm and HOME per run, read-only "
           "/proc/sys and /sys, no capabilities, no daemon needed; for clean measurements, NOT a "
           "security boundary: a workload keeps its uid's file rights (as root: writing /etc, "
           "/root, devices) and the network. "
           "docker|podman: each run in a container of --image with the same limits "
           "(docs/isolation.md)")
        ->check(CLI::IsMember({"host", "sandbox", "docker", "podman"}));
    sub.add_option(
        "--image", image_,
        "Container image for --isolate docker|podman; must be present locally (never pulled)");
    sub.add_option(
        "--mount", mounts_,
        "SRC:DST[:ro] bind mount into the container (docker|podman; repeatable); relative SRC is "
        "taken from the current directory");
  }

  Expected<void> apply(bench::SessionOptions& options,
                       std::vector<std::unique_ptr<bench::RunHook>>& hooks,
                       nlohmann::json& options_json) override {
    auto spec = isolate::make_isolation_spec(mode_, image_, mounts_, current_directory());
    if (!spec) return spec.error();
    auto hook = isolate::make_isolation_hook(*spec, limits_ ? *limits_ : limits::LimitSpec{},
                                             options.env, options.markers);
    if (!hook) return hook.error();

    nlohmann::json description = {{"mode", isolate::isolation_name(spec->mode)}};
    if (auto* sandbox = dynamic_cast<isolate::SandboxHook*>(hook->get())) {
      description["user_namespace"] = sandbox->plan().user_namespace;
    }
    if (isolate::is_container_engine(spec->mode)) {
      options.resolve_programs = false;  // the program and --cwd are inside the image
      description["image"] = spec->image;
      nlohmann::json mounts = nlohmann::json::array();
      for (const auto& m : spec->mounts) {
        mounts.push_back({{"source", m.source}, {"target", m.target}, {"read_only", m.read_only}});
      }
      description["mounts"] = mounts;
    }
    options_json["isolation"] = description;
    if (*hook) hooks.push_back(std::move(hook).value());
    return {};
  }

 private:
  std::shared_ptr<const limits::LimitSpec> limits_;
  std::string mode_ = "host";
  std::string image_;
  std::vector<std::string> mounts_;
};

}  // namespace

std::unique_ptr<RunOptionGroup> make_isolation_options(
    std::shared_ptr<const limits::LimitSpec> limits) {
  return std::make_unique<IsolationOptionGroup>(std::move(limits));
}

}  // namespace coldbench::cli
