#pragma once
// The one rule for the environment variables a workload is given (--env, an
// experiment's env and matrix values): execve takes "NAME=VALUE" C strings,
// so a name with '=' would set another variable and a NUL would cut the
// entry short without a word.

#include <string_view>

#include "core/expected.hpp"

namespace coldbench {

// A non-empty name without '=' or NUL, and a value without NUL.
Expected<void> check_env_var(std::string_view name, std::string_view value);

}  // namespace coldbench
