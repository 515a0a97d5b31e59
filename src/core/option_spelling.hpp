#pragma once
// "did you mean": the closest known option to a misspelt one, and the message
// that lists every unknown option of a command line in the order given.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace coldbench {

// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`.
std::size_t spelling_distance(std::string_view a, std::string_view b);

// The known spelling closest to `given` ("--runz" -> "--runs"), or nullopt when
// none is close: at most 1 edit for names of up to 4 characters, 2 beyond.
// A long option also matches a known one it is the start of ("--warm" -> "--warmup").
// A one-letter option gets none (every other one is one edit away).
std::optional<std::string> closest_option(std::string_view given,
                                          const std::vector<std::string>& known);

// The words of `words` that look like options ("-x", "--xyz", "--xyz=V") and
// are none of `known` (spellings with their dashes: "-r", "--runs"); negative
// numbers are values, not options. In the order given.
std::vector<std::string> unknown_options(const std::vector<std::string>& words,
                                         const std::vector<std::string>& known);

// "unknown option --runz; did you mean --runs?" or, for several,
// "unknown options --runz (did you mean --runs?), -x".
std::string unknown_options_message(const std::vector<std::string>& unknown,
                                    const std::vector<std::string>& known);

}  // namespace coldbench
