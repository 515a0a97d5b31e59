// coldbench-torch: the LibTorch workloads coldbench measures, in a binary of
// their own so the harness never loads LibTorch (docs/architecture.md). A thin
// dispatcher; each subcommand lives in its folder (common/, infer/, profile/).

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "coldbench/marker.hpp"
#include "core/expected.hpp"
#include "torch/common/errors.hpp"
#include "torch/subcommands.hpp"

int main(int argc, char** argv) {
  // First statement: the dynamic loader has mapped LibTorch by now, so this
  // marks the end of process start-up and library loading.
  coldbench::marker::phase(coldbench::marker::kPhaseRuntimeReady);
  using namespace coldbench;
  using namespace coldbench::workload;
  const ProcessContext context{coldbench::marker::monotonic_ns()};

  CLI::App app{
      "coldbench-torch: LibTorch workloads for coldbench (cold start and latency of "
      "TorchScript models; profiled training scenarios; an HTTP model server)"};
  app.set_version_flag("--version", std::string("coldbench-torch ") + COLDBENCH_VERSION);
  app.require_subcommand(1);
  std::vector<Subcommand> subcommands = {
      add_infer_command(app, context),
      add_models_command(app, context),
      add_profile_command(app, context),
      add_serve_command(app, context),
  };

  // CLI11 would answer an unknown first word with "A subcommand is required":
  // name the word and the subcommands there are instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const Subcommand& subcommand : subcommands) {
      known += (known.empty() ? "" : ", ") + subcommand.app->get_name();
      found = found || subcommand.app->get_name() == argv[1];
    }
    if (!found) {
      fmt::print(stderr, "coldbench-torch: error: unknown subcommand '{}' (available: {}; try --help)\n", argv[1],
                 known);
      return coldbench::kExitUsage;
    }
  }
  // -n counted iterations here once; in coldbench run it names a command (hyperfine's -n), so no
  // binary of the project takes -n as a count: say what to write instead of "unknown option".
  for (int i = 2; argc > 2 && std::string(argv[1]) == "infer" && i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") break;
    if (word == "-n" || (word.size() > 2 && word.compare(0, 2, "-n") == 0 &&
                         std::isdigit(static_cast<unsigned char>(word[2])))) {
      const std::string count =
          word.size() > 2 ? word.substr(2) : (i + 1 < argc ? argv[i + 1] : "N");
      fmt::print(
          stderr,
          "coldbench-torch infer: error: -n is gone: give the measured iterations as --iters {}\n",
          count);
      return coldbench::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? coldbench::kExitOk : coldbench::kExitUsage;
  }
  try {
    for (const Subcommand& subcommand : subcommands) {
      if (!subcommand.app->parsed()) continue;
      Expected<int> code = subcommand.run();
      if (code) return *code;
      fmt::print(stderr, "coldbench-torch {}: error: {}\n", subcommand.app->get_name(), code.error().message);
      return code.error().exit_code;
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "coldbench-torch: error: {}\n", short_torch_message(error.what()));
    return coldbench::kExitUsage;
  }
  fmt::print(stderr, "coldbench-torch: no subcommand given; see --help\n");
  return coldbench::kExitUsage;
}
