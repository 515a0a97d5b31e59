#pragma once
// `coldbench run --loader-stats`: every run is started with
// LD_DEBUG=statistics,files and LD_DEBUG_OUTPUT in a directory of the
// session's, and after it the workload's own report (LD_DEBUG_OUTPUT.<pid>)
// becomes run info: loader.objects, loader.startup_ms (and its relocation
// and load parts), loader.relocations, loader.final_relocations (docs/
// result-schema.md). The loader writes it at start and at exit only, so the
// run is not slowed while it works; processes the workload starts write
// their own files, which are dropped. Host runs only: a sandbox or container
// sees other paths.

#include <memory>
#include <optional>
#include <string>

#include "bench/hooks.hpp"
#include "core/expected.hpp"

namespace coldbench::loader {

struct LoaderStats;

// The run info a parsed report becomes (keys "loader.*"), with cycles
// converted by `tsc_hz` when known.
void add_loader_info(const LoaderStats& stats, std::optional<double> tsc_hz, RunRecord& record);

Expected<std::unique_ptr<bench::RunHook>> make_loader_hook();

}  // namespace coldbench::loader
