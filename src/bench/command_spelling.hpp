#pragma once
// How `coldbench run` spells its commands: "NAME=CMD" for --command, and the
// old spellings that hyperfine's flags replaced (-n for runs, -c for a named
// command, a bare --shell), each refused with what to write instead.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::bench {

// "NAME=CMD" split at the first '=', NAME of [A-Za-z0-9_.:+-]; nullopt when it is not that.
std::optional<std::pair<std::string, std::string>> split_named_command(const std::string& spec);

// `words`: run's arguments before "--". An error (exit 2) naming the new
// spelling for the first of: -n N or -n auto (runs are -r/--runs now), -c
// NAME=CMD (-c is --cleanup now), --shell without a shell after it.
Expected<void> check_replaced_run_flags(const std::vector<std::string>& words);

}  // namespace coldbench::bench
