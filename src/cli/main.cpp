// coldbench: the harness. Never links LibTorch (a process that maps
// libtorch_cpu.so would keep its pages resident and no run could be cold).

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/expected.hpp"
#include "core/option_spelling.hpp"
#include "core/terminal_text.hpp"

namespace coldbench::cli {

std::vector<std::string>& trailing_command() {
  static std::vector<std::string> words;
  return words;
}

int report_error(const Error& error) {
  print_for_terminal(stderr, "coldbench: error: " + error.message + "\n");
  return error.exit_code;
}

void print_notice(const std::string& text) {
  fmt::print(stderr, "{}coldbench: {}\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", terminal_safe(text));
  std::fflush(stderr);
}

std::vector<std::string> option_spellings(CLI::App& app, const std::string& subcommand) {
  CLI::App* owner = &app;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == subcommand) owner = sub;
  }
  std::vector<std::string> spellings;
  for (const CLI::App* level : {&app, owner}) {
    for (const CLI::Option* option : level->get_options()) {
      for (const auto& name : option->get_lnames()) spellings.push_back("--" + name);
      for (const auto& name : option->get_snames()) spellings.push_back("-" + name);
    }
    if (owner == &app) break;
  }
  return spellings;
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
  subcommands.push_back(cli::add_sweep_command(app));
  subcommands.push_back(cli::add_history_command(app));
  subcommands.push_back(cli::add_export_command(app));
  subcommands.push_back(cli::add_cache_command(app));
  subcommands.push_back(cli::add_report_command(app));
  subcommands.push_back(cli::add_compare_command(app));
  subcommands.push_back(cli::add_env_command(app));
  subcommands.push_back(cli::add_load_command(app));
  subcommands.push_back(cli::add_merge_command(app));
  subcommands.push_back(cli::add_prefetch_command(app));

  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const auto& sub : subcommands) {
      known += (known.empty() ? "" : ", ") + sub.app->get_name();
      found = found || sub.app->get_name() == argv[1];
    }
    if (!found) {
      return cli::report_error(make_error("unknown subcommand '{}' (available: {}; try --help)", argv[1], known));
    }
  }
  // Everything after the first "--" is the workload's command line. CLI11 2.1
  // mis-parses "--" after multi-value options, so it is split off here.
  std::vector<std::string> words(argv + 1, argv + argc);
  auto separator = std::find(words.begin(), words.end(), "--");
  if (separator != words.end()) {
    cli::trailing_command().assign(separator + 1, words.end());
    words.erase(separator, words.end());
  }
  const std::vector<std::string> given = words;  // in order, for the messages below
  for (const auto& sub : subcommands) {
    if (!sub.check_words || words.empty() || words.front() != sub.app->get_name()) continue;
    auto checked = sub.check_words(std::vector<std::string>(words.begin() + 1, words.end()));
    if (!checked) return cli::report_error(checked.error());
  }
  std::reverse(words.begin(), words.end());  // CLI11 takes the arguments reversed
  try {
    app.parse(words);
  } catch (const CLI::ExtrasError& e) {
    // CLI11 lists them reversed and without suggestions: name each in the order given, with the
    // closest known spelling.
    auto known = cli::option_spellings(app, given.empty() ? "" : given.front());
    auto unknown = unknown_options(
        std::vector<std::string>(given.begin() + (given.empty() ? 0 : 1), given.end()), known);
    if (unknown.empty()) {
      app.exit(e);
      return kExitUsage;
    }
    return cli::report_error(
        make_error("{} (see coldbench {}--help)", unknown_options_message(unknown, known),
                   given.empty() || given.front()[0] == '-' ? "" : given.front() + " "));
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
    if (!sub.app->parsed()) continue;
    if (!sub.takes_command && !cli::trailing_command().empty()) {
      return cli::report_error(make_error("'{}' takes no command after --", sub.app->get_name()));
    }
    auto status = sub.action();
    return status ? *status : cli::report_error(status.error());
  }
  return cli::report_error(Error{"no subcommand given (try --help)"});
}
