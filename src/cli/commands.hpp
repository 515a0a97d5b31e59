#pragma once
// Each subcommand lives in its own file: it registers its options on the app
// and returns the action to run when it was the one parsed. Only the CLI
// prints errors and picks exit codes (0 ok, 1 failed runs or a regression,
// 2 usage or input error, 3 compare could not decide, 130 interrupted).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/expected.hpp"
#include "stats/policy.hpp"

namespace coldbench::cli {

struct Subcommand {
  CLI::App* app = nullptr;
  // The exit code, or an error that main() prints (the one place that does).
  std::function<Expected<int>()> action;
  bool takes_command = false;  // accepts "-- CMD ARGS..." (see trailing_command)
  // Before parsing, the subcommand's words (up to "--") as given: refuses
  // spellings whose meaning changed with a message that names the new one.
  std::function<Expected<void>(const std::vector<std::string>& words)> check_words = nullptr;
};

// The words after the first "--" on the command line (the workload's argv).
std::vector<std::string>& trailing_command();

Subcommand add_run_command(CLI::App& app);
Subcommand add_sweep_command(CLI::App& app);
Subcommand add_history_command(CLI::App& app);
Subcommand add_export_command(CLI::App& app);
Subcommand add_cache_command(CLI::App& app);
Subcommand add_report_command(CLI::App& app);
Subcommand add_compare_command(CLI::App& app);
Subcommand add_env_command(CLI::App& app);
Subcommand add_load_command(CLI::App& app);
Subcommand add_merge_command(CLI::App& app);
Subcommand add_prefetch_command(CLI::App& app);

// --threshold, --alpha, --correction: the comparison policy's options, shared
// by run, compare, sweep and report so their defaults cannot drift apart.
// Empty / unset values keep stats::ComparisonPolicy's defaults.
void add_policy_options(CLI::App& app, std::string& threshold, std::optional<double>& alpha,
                        std::string& correction);
Expected<stats::ComparisonPolicy> comparison_policy(const std::string& threshold,
                                                    const std::optional<double>& alpha,
                                                    const std::string& correction);

// Every option spelling ("--runs", "-r") of `subcommand` (and the app's own),
// for "did you mean".
std::vector<std::string> option_spellings(CLI::App& app, const std::string& subcommand);

// Prints "coldbench: error: MESSAGE" on stderr and returns its exit code:
// main()'s one printing site for errors.
int report_error(const Error& error);
// Prints "coldbench: TEXT" on stderr on a line of its own (clearing a
// progress bar first): what libraries report while they work (notes, warnings).
void print_notice(const std::string& text);

}  // namespace coldbench::cli
