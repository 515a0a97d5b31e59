// coldbench: the harness. Never links LibTorch (a process that maps
// libtorch_cpu.so would keep its pages resident and no run could be cold).

#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/expected.hpp"

namespace coldbench::cli {

int report_error(const std::string& message, int exit_code) {
  fmt::print(stderr, "coldbench: error: {}\n", message);
  return exit_code;
}

}  // namespace coldbench::cli

int main(int argc, char** argv) {
  using namespace coldbench;
  CLI::App app{
      "coldbench: reproducible cold and warm start benchmarks of PyTorch/LibTorch workloads,\n"
      "with phase timings, process statistics and sound comparisons.",
      "coldbench"};
  app.set_version_flag("--version", std::string("coldbench ") + COLDBENCH_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'coldbench SUBCOMMAND --help' for a subcommand's options. Docs: docs/ in the source tree.");

  std::vector<cli::Subcommand> subcommands;
  subcommands.push_back(cli::add_run_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  for (const auto& sub : subcommands) {
    if (sub.app->parsed()) return sub.action();
  }
  return cli::report_error("no subcommand given (try --help)", kExitUsage);
}
