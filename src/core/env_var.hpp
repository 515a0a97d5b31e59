#pragma once
// Environment entries as execve takes them ("NAME=VALUE" strings): the one
// rule for a variable a workload is given (--env, an experiment's env and
// matrix values), and the one way to split, find, set and remove entries in
// such a list. A name with '=' would set another variable and a NUL would cut
// the entry short without a word, so check_env_var refuses both.

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench {

// A non-empty name without '=' or NUL, and a value without NUL.
Expected<void> check_env_var(std::string_view name, std::string_view value);

// "NAME=VALUE" split at the first '=' (views into `entry`); nullopt when
// there is no '=' or the name is empty.
struct EnvEntry {
  std::string_view name;
  std::string_view value;
};
std::optional<EnvEntry> split_env_entry(std::string_view entry);

// "NAME=VALUE".
std::string env_entry(std::string_view name, std::string_view value);

// Whether `entry` is "`name`=...".
bool is_entry_for(std::string_view entry, std::string_view name);
// The entry for `name` in an execve-style list, or null.
const std::string* find_env_entry(const std::vector<std::string>& env, std::string_view name);
// Replaces the entry for `name` in place, or appends one.
void set_env_entry(std::vector<std::string>& env, std::string_view name, std::string_view value);
void unset_env_entry(std::vector<std::string>& env, std::string_view name);

// This process's environment (environ), as a list of entries.
std::vector<std::string> current_environment();

// The variables that change how many threads a workload's math libraries
// start, and how they place them. The first kThreadCountVariables take a
// thread count: --threads sets exactly those (and a container run passes
// them in); coldbench-torch reports all of them with its system info.
inline constexpr std::array<std::string_view, 8> kThreadVariables = {
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_PROC_BIND",
    "OMP_WAIT_POLICY", "KMP_AFFINITY",    "ATEN_CPU_CAPABILITY",  "DNNL_MAX_CPU_ISA"};
inline constexpr std::size_t kThreadCountVariables = 3;
inline constexpr std::span<const std::string_view> thread_count_variables() {
  return std::span(kThreadVariables).first(kThreadCountVariables);
}

}  // namespace coldbench
