#pragma once
// Regex rules for unmodified programs: --phase NAME=REGEX marks the end of a
// phase at the first output line matching REGEX; --metric NAME=REGEX takes the
// first capture group of every matching line as a value. The syntax is RE2's
// (https://github.com/google/re2/wiki/Syntax): matching takes time linear in
// the line for every pattern, so no rule can hang or crash the harness, at
// the price of backreferences and lookaround, which RE2 does not have.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace re2 {
class RE2;
}

namespace coldbench::markers {

enum class RuleKind { Phase, Metric };

struct RegexRule {
  RuleKind kind = RuleKind::Phase;
  std::string name;
  std::string pattern;                     // as the user wrote it
  std::shared_ptr<const re2::RE2> regex;   // compiled once; copies of a rule share it

  // Whether REGEX matches anywhere in `line`.
  bool matches(std::string_view line) const;
  // The first capture group of the first match (empty when the group took no
  // part in it); nullopt when the line does not match.
  std::optional<std::string_view> first_group(std::string_view line) const;
};

// Parses "NAME=REGEX". NAME must be valid UTF-8 without control characters,
// at most 200 bytes (it becomes a phase or metric name); a metric rule needs
// a capture group.
Expected<RegexRule> parse_rule(RuleKind kind, std::string_view spec);

}  // namespace coldbench::markers
