#pragma once
// hyperfine's parameter scans for `coldbench run`: -L NAME V1,V2,... (a list)
// and -P NAME MIN MAX [-D STEP] (a range), substituted for {NAME} in the
// commands, their names and their hooks. Several lists combine as a cross
// product; the commands come out in hyperfine's order (the command varies
// fastest, then the first parameter, then the next).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::bench {

struct ParameterValues {
  std::string name;
  std::vector<std::string> values;  // as they are substituted
};

// The most values one -L or -P may give (hyperfine's bound) and the most
// commands a scan may expand to.
inline constexpr std::size_t kMaxParameterValues = 100'000;

// -L NAME V1,V2,...: the values split at commas ("\," is a comma inside a value).
Expected<ParameterValues> parameter_list(const std::string& name, const std::string& values);
// -P NAME MIN MAX with -D STEP (empty: 1, integers only). Integers give integers;
// decimals need a step and are written as hyperfine writes them ("0.3", "0.5").
Expected<ParameterValues> parameter_range(const std::string& name, const std::string& min,
                                          const std::string& max, const std::string& step);

using ParameterSetting = std::pair<std::string, std::string>;  // name, value

// `text` with every {NAME} of `settings` replaced, left to right, so a value
// that holds another placeholder is not replaced again.
std::string substitute_parameters(std::string_view text,
                                  const std::vector<ParameterSetting>& settings);

struct ScannedCommand {
  std::string name;                        // the name template substituted, or the command line
  std::string text;                        // the command substituted
  std::size_t template_index = 0;          // which of the commands given
  std::vector<ParameterSetting> settings;  // in the order the parameters were given
};

// Every command given, for every combination of the parameters' values.
// `names`: none (each is named by its command line), one template for all, or
// one per expanded command, as hyperfine takes -n with a scan. Errors: a
// command that does not use a parameter, a parameter given twice, too many.
Expected<std::vector<ScannedCommand>> expand_parameters(
    const std::vector<std::string>& commands, const std::vector<std::string>& names,
    const std::vector<ParameterValues>& parameters);

}  // namespace coldbench::bench
