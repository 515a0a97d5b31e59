#pragma once
// Option groups that extend `coldbench run` with run hooks (limits, isolation,
// cache state). Each group lives in its own file: it adds its flags, turns
// them into its part of one setup::RunSetup, and once setup::make_run_hooks
// built the hooks (in their one order, setup/run_setup.hpp) records its
// settings in the results' options.

#include <memory>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/runner.hpp"
#include "core/expected.hpp"
#include "setup/run_setup.hpp"

namespace coldbench::cli {

class RunOptionGroup {
 public:
  virtual ~RunOptionGroup() = default;
  virtual void add_options(CLI::App& sub) = 0;
  // Validates the parsed flags into its part of `run_setup`.
  virtual Expected<void> apply(const bench::SessionOptions& options, setup::RunSetup& run_setup) = 0;
  // Records the settings, as applied, under its own key in `options_json`.
  virtual void describe(const setup::RunSetup& run_setup, const setup::RunHooks& hooks,
                        nlohmann::json& options_json) const = 0;
};

std::vector<std::unique_ptr<RunOptionGroup>> make_run_option_groups();
std::unique_ptr<RunOptionGroup> make_limits_options();     // cli/run_limits_options.cpp
std::unique_ptr<RunOptionGroup> make_isolation_options();  // cli/run_isolation_options.cpp
std::unique_ptr<RunOptionGroup> make_cache_options();      // cli/run_cache_options.cpp

}  // namespace coldbench::cli
