#pragma once
// Regex rules for unmodified programs: --phase NAME=REGEX marks the end of a
// phase at the first output line matching REGEX; --metric NAME=REGEX takes the
// first capture group of every matching line as a value.

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::markers {

enum class RuleKind { Phase, Metric };

struct RegexRule {
  RuleKind kind = RuleKind::Phase;
  std::string name;
  std::string pattern;  // as the user wrote it
  std::regex regex;
};

// Parses "NAME=REGEX" (ECMAScript syntax). A metric rule needs a capture group.
Expected<RegexRule> parse_rule(RuleKind kind, std::string_view spec);

}  // namespace coldbench::markers
