#include "markers/rules.hpp"

#include <re2/re2.h>

#include "core/utf8.hpp"
#include "markers/marker_parser.hpp"

namespace coldbench::markers {

Expected<RegexRule> parse_rule(RuleKind kind, std::string_view spec) {
  const char* option = kind == RuleKind::Phase ? "--phase" : "--metric";
  auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size()) {
    return make_error("{} '{}': expected NAME=REGEX, e.g. {} model_loaded='Model Loaded'", option,
                      escape_invalid_utf8(spec), option);
  }
  RegexRule rule;
  rule.kind = kind;
  rule.name = std::string(spec.substr(0, eq));
  rule.pattern = std::string(spec.substr(eq + 1));
  if (!is_valid_utf8(rule.name)) {
    return make_error("{} '{}': the name is not valid UTF-8; names are stored as text, use UTF-8 (or ASCII)",
                      option, escape_invalid_utf8(rule.name));
  }
  if (auto problem = marker_name_problem(rule.name)) {
    return make_error("{} '{}': the name {}", option, rule.name, *problem);
  }

  RE2::Options options;
  options.set_log_errors(false);  // the error comes back as our message, not on stderr
  auto regex = std::make_shared<const RE2>(rule.pattern, options);
  if (!regex->ok()) {
    return make_error("{} {}: invalid regular expression '{}': {} (RE2 syntax, "
                      "https://github.com/google/re2/wiki/Syntax: no backreferences or lookaround)",
                      option, rule.name, escape_invalid_utf8(rule.pattern), escape_invalid_utf8(regex->error()));
  }
  if (kind == RuleKind::Metric && regex->NumberOfCapturingGroups() < 1) {
    return make_error("--metric {}: the regex '{}' needs a capture group around the number, e.g. 'Latency: ([0-9.]+) ms'",
                      rule.name, rule.pattern);
  }
  rule.regex = std::move(regex);
  return rule;
}

bool RegexRule::matches(std::string_view line) const {
  return RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), *regex);
}

std::optional<std::string_view> RegexRule::first_group(std::string_view line) const {
  re2::StringPiece group;
  if (!RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), *regex, &group)) return std::nullopt;
  return std::string_view(group.data() ? group.data() : "", group.size());
}

}  // namespace coldbench::markers
