// `coldbench merge A.sqlite B.sqlite ... -o ALL.sqlite`: the histories of a
// study's shards into one (docs/scale-out.md).

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "store/merge.hpp"

namespace coldbench::cli {
namespace {

struct MergeArguments {
  std::vector<std::string> inputs;
  std::string output;
};

Expected<int> merge(const MergeArguments& args) {
  auto summary = store::merge_histories(args.inputs, args.output);
  if (!summary) return summary.error();
  const auto& counts = summary->counts;
  fmt::print(
      "merged {} histories of study '{}' (fingerprint {}) into {}: {} sessions added, {} updated, "
      "{} runs "
      "added, {} already there\n",
      summary->inputs, summary->study, summary->fingerprint, args.output, counts.sessions_added,
      counts.sessions_updated, counts.runs_added, counts.runs_known);
  fmt::print(
      "{} now holds {} sessions with {} of {} planned runs; `coldbench report study --db {}` for "
      "the hosts "
      "x configs\n",
      args.output, summary->sessions_in_output, summary->runs_in_output, summary->planned_runs,
      args.output);
  return kExitOk;
}

}  // namespace

Subcommand add_merge_command(CLI::App& app) {
  auto args = std::make_shared<MergeArguments>();
  CLI::App* sub =
      app.add_subcommand("merge", "Merge the histories of a study's shards into one history");
  sub->add_option("histories", args->inputs,
                  "The shards' history files (coldbench sweep --shard I/N --db FILE)")
      ->required();
  sub->add_option("-o,--output", args->output,
                  "The merged history (created if needed; merging into it again adds "
                  "only what is new)")
      ->required();
  sub->footer(
      "Every session must come from the same experiment (its fingerprint: configs, runs, seed, "
      "rules);\n"
      "otherwise nothing is written. A session is known by its uid and a run by its place in the "
      "session,\n"
      "so merging a shard twice, or again after it resumed, adds only runs that are new.\n"
      "Read the result with `coldbench report study --db FILE` (a row per host x config) and\n"
      "`coldbench compare host:A host:B --db FILE` (docs/scale-out.md).\n"
      "Exit status: 0 merged, 2 another study, a missing or damaged history, or usage.");
  return Subcommand{sub, [args] { return merge(*args); }};
}

}  // namespace coldbench::cli
