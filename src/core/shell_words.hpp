#pragma once
// Splitting a command line into words the way a POSIX shell would (quotes and
// backslashes; no expansion), so `-c 'py=python3 x.py --arg "a b"'` runs
// without a shell.

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench {

Expected<std::vector<std::string>> split_shell_words(std::string_view text);

// Quotes a word so that split_shell_words gives it back unchanged.
std::string quote_shell_word(std::string_view word);

}  // namespace coldbench
