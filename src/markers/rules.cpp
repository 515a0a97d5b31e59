#include "markers/rules.hpp"

namespace coldbench::markers {

Expected<RegexRule> parse_rule(RuleKind kind, std::string_view spec) {
  const char* option = kind == RuleKind::Phase ? "--phase" : "--metric";
  auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size()) {
    return make_error("{} '{}': expected NAME=REGEX, e.g. {} model_loaded='Model Loaded'", option, spec,
                      option);
  }
  RegexRule rule;
  rule.kind = kind;
  rule.name = std::string(spec.substr(0, eq));
  rule.pattern = std::string(spec.substr(eq + 1));
  try {
    rule.regex = std::regex(rule.pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return make_error("{} {}: invalid regular expression '{}': {}", option, rule.name, rule.pattern, e.what());
  }
  if (kind == RuleKind::Metric && rule.regex.mark_count() < 1) {
    return make_error("--metric {}: the regex '{}' needs a capture group around the number, e.g. 'Latency: ([0-9.]+) ms'",
                      rule.name, rule.pattern);
  }
  return rule;
}

}  // namespace coldbench::markers
