#pragma once
// coldbench-torch's subcommands. Each registers its options on the app and
// hands back what to run when it was chosen; main.cpp only dispatches, so a
// new subcommand is one file plus one line in main.cpp.

#include <cstdint>
#include <functional>

#include "core/expected.hpp"

namespace CLI {
class App;
}

namespace coldbench::workload {

struct ProcessContext {
  int64_t runtime_ready_ns = 0;  // CLOCK_MONOTONIC when main emitted runtime_ready
};

struct Subcommand {
  CLI::App* app = nullptr;
  // The process exit code, or an error that main prints (the one place
  // coldbench-torch reports errors) and exits with its code.
  std::function<Expected<int>()> run;
};

Subcommand add_infer_command(CLI::App& parent, const ProcessContext& context);
Subcommand add_models_command(CLI::App& parent, const ProcessContext& context);
Subcommand add_profile_command(CLI::App& parent, const ProcessContext& context);
Subcommand add_serve_command(CLI::App& parent, const ProcessContext& context);

}  // namespace coldbench::workload
