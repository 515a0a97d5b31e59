#pragma once
// Option groups that extend `coldbench run` with run hooks (limits, isolation,
// cache state). Each group lives in its own file: it adds its flags, and after
// parsing turns them into hooks and a description for the results' options.
// Hooks run in the order of make_run_option_groups(): limits, isolation, then
// cache state last, so nothing touches the page cache between eviction and spawn.

#include <memory>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/hooks.hpp"
#include "bench/runner.hpp"
#include "core/expected.hpp"
#include "limits/limit_spec.hpp"

namespace coldbench::cli {

class RunOptionGroup {
 public:
  virtual ~RunOptionGroup() = default;
  virtual void add_options(CLI::App& sub) = 0;
  // Validates the parsed flags; appends hooks (owned by `hooks`) and records
  // the settings under their own keys in `options_json`.
  virtual Expected<void> apply(bench::SessionOptions& options, std::vector<std::unique_ptr<bench::RunHook>>& hooks,
                               nlohmann::json& options_json) = 0;
};

std::vector<std::unique_ptr<RunOptionGroup>> make_run_option_groups();
std::unique_ptr<RunOptionGroup> make_limits_options(std::shared_ptr<limits::LimitSpec> spec);  // cli/run_limits_options.cpp
std::unique_ptr<RunOptionGroup> make_isolation_options(std::shared_ptr<const limits::LimitSpec> spec);  // cli/run_isolation_options.cpp
std::unique_ptr<RunOptionGroup> make_cache_options();  // cli/run_cache_options.cpp

}  // namespace coldbench::cli
