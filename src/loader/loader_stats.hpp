#pragma once
// How much of a start-up is the dynamic loader's (issue: runtime_ready
// explained). glibc reports its own work when LD_DEBUG=statistics is set:
// cycles spent in the loader before main (relocation, loading objects) and
// relocation counts, written to LD_DEBUG_OUTPUT.<pid>; with "files" it also
// names every object it maps ("generating link map"), dlopen'd ones
// included. This parses that output; loader_hook.hpp asks for it per run.
//
// The cycles are the time-stamp counter's (glibc's HP_TIMING on x86-64);
// they become milliseconds with the counter's rate, measured here against
// CLOCK_MONOTONIC. Elsewhere the cycles stay cycles (no milliseconds).

#include <cstdint>
#include <optional>
#include <string_view>

namespace coldbench::loader {

struct LoaderStats {
  std::optional<int64_t> startup_cycles;     // total startup time in dynamic loader
  std::optional<int64_t> relocation_cycles;  // time needed for relocation
  std::optional<int64_t> load_cycles;        // time needed to load objects
  std::optional<int64_t> relocations;        // at start-up
  std::optional<int64_t> relative_relocations;
  std::optional<int64_t> final_relocations;  // at exit: lazy bindings and dlopen'd objects added
  int64_t objects = 0;                       // link maps generated (needs LD_DEBUG=files)
  bool found() const { return startup_cycles.has_value() || objects > 0; }
};

// Reads one process's LD_DEBUG output (lines "PID:\t..."); unknown lines are skipped.
LoaderStats parse_loader_debug(std::string_view text);

// The time-stamp counter's ticks per second, measured once (~20 ms) and
// kept; nullopt where glibc's statistics are not in TSC ticks (not x86-64).
std::optional<double> tsc_hz();

}  // namespace coldbench::loader
