#pragma once
// The one way to turn an IsolationSpec into its run hook, for `coldbench run`
// and for sweeps alike: sandbox (namespaces checked once), docker/podman
// (engine and image checked once), or none for host.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/hooks.hpp"
#include "core/expected.hpp"
#include "isolate/isolation_spec.hpp"
#include "limits/limit_spec.hpp"

namespace coldbench::isolate {

// `limits` is what the limits options parsed: container engines apply it
// themselves. `user_env` are the --env values (in order); `markers` whether
// runs get marker variables. Returns nullptr for host isolation. Every
// check that could fail every run alike happens here, before any run.
Expected<std::unique_ptr<bench::RunHook>> make_isolation_hook(
    const IsolationSpec& spec, const limits::LimitSpec& limits,
    const std::vector<std::pair<std::string, std::string>>& user_env, bool markers);

}  // namespace coldbench::isolate
