// `coldbench prefetch LIST`: replays a prefetch list (written by `coldbench
// run --cache cold --record-prefetch LIST`) with sequential reads, in the
// order the start-up first touched the pages: what a boot-time service runs
// before the workload starts (deploy/systemd/coldbench-prefetch.service).

#include <fmt/format.h>

#include <memory>

#include "cache/prefetch.hpp"
#include "cli/commands.hpp"
#include "core/units.hpp"

namespace coldbench::cli {
namespace {

struct PrefetchArguments {
  std::string list;
  std::string method = "read";
  bool quiet = false;
};

Expected<int> run_prefetch(const PrefetchArguments& args) {
  auto ranges = cache::read_prefetch_list(args.list);
  if (!ranges) return ranges.error();
  const auto method =
      args.method == "willneed" ? cache::PrefetchMethod::WillNeed : cache::PrefetchMethod::Read;
  const cache::PrefetchOutcome outcome = cache::replay_prefetch(*ranges, method);
  if (!args.quiet) {
    const double rate = outcome.ms > 0 ? double(outcome.bytes) / (outcome.ms / 1000.0) : 0;
    fmt::print("prefetched {} in {} ({}/s, {}): {} of {} ranges{}\n",
               format_bytes(double(outcome.bytes)), format_ms(outcome.ms), format_bytes(rate),
               method == cache::PrefetchMethod::Read
                   ? "pread"
                   : "posix_fadvise WILLNEED, reads may still be running",
               outcome.ranges, ranges->size(),
               outcome.failed ? fmt::format("; {} could not be read (files gone or unreadable)",
                                            outcome.failed)
                              : "");
  }
  // A list whose files are all gone did nothing: say so with the usage code.
  if (outcome.ranges == 0 && !ranges->empty()) {
    return make_error("{}: none of its {} ranges could be read; record the list again", args.list,
                      ranges->size());
  }
  return 0;
}

}  // namespace

Subcommand add_prefetch_command(CLI::App& app) {
  auto args = std::make_shared<PrefetchArguments>();
  CLI::App* sub = app.add_subcommand("prefetch",
                                     "Read a prefetch list's file ranges into the page cache, in "
                                     "the order a start-up first touched them");
  sub->footer(
      "Write a list with: coldbench run --cache cold --record-prefetch LIST -r 1 -- CMD\n"
      "Run it before the workload (a boot-time unit: deploy/systemd/) or measure it racing the "
      "start with\n"
      "coldbench run --cache cold+prefetch --prefetch-list LIST. See docs/cache.md, \"Prefetch\".");
  sub->add_option("LIST", args->list, "The prefetch list file")->required();
  sub->add_option("--method", args->method,
                  "read (pread each range in order; default) or willneed (posix_fadvise WILLNEED, "
                  "asynchronous)")
      ->check(CLI::IsMember({"read", "willneed"}));
  sub->add_flag("-q,--quiet", args->quiet, "Print nothing on success");
  return Subcommand{sub, [args] { return run_prefetch(*args); }};
}

}  // namespace coldbench::cli
