#include "bench/parameter_scan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>

namespace coldbench::bench {
namespace {

// A decimal number as an integer mantissa and its count of decimals: "-0.25" is {-25, 2}.
struct Decimal {
  int64_t mantissa = 0;
  int scale = 0;
};

std::optional<Decimal> parse_decimal(const std::string& text) {
  std::size_t i = 0;
  const bool negative = !text.empty() && (text[0] == '-' || text[0] == '+');
  if (negative) i = 1;
  const bool minus = negative && text[0] == '-';
  Decimal d;
  int digits = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (++digits > 17) return std::nullopt;  // keeps every sum below within int64
    d.mantissa = d.mantissa * 10 + (c - '0');
    if (point) ++d.scale;
  }
  if (digits == 0 || (point && d.scale == 0)) return std::nullopt;
  if (minus) d.mantissa = -d.mantissa;
  return d;
}

int64_t power_of_ten(int exponent) {
  int64_t p = 1;
  for (int i = 0; i < exponent; ++i) p *= 10;
  return p;
}

// `value` (in units of 10^-scale) written with `decimals` decimals; exact by construction.
std::string decimal_text(int64_t value, int scale, int decimals) {
  value /= power_of_ten(scale - decimals);
  if (decimals == 0) return std::to_string(value);
  const bool negative = value < 0;
  const uint64_t magnitude = negative ? uint64_t(0) - uint64_t(value) : uint64_t(value);
  const uint64_t unit = uint64_t(power_of_ten(decimals));
  return fmt::format("{}{}.{:0{}}", negative ? "-" : "", magnitude / unit, magnitude % unit,
                     decimals);
}

}  // namespace

Expected<ParameterValues> parameter_list(const std::string& name, const std::string& values) {
  if (name.empty())
    return make_error("-L: give a parameter name and its values, e.g. -L threads 1,2,4");
  ParameterValues list{name, {}};
  std::string current;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] == '\\' && i + 1 < values.size() &&
        (values[i + 1] == ',' || values[i + 1] == '\\')) {
      current += values[++i];
    } else if (values[i] == ',') {
      list.values.push_back(std::move(current));
      current.clear();
    } else {
      current += values[i];
    }
  }
  list.values.push_back(std::move(current));
  if (list.values.size() > kMaxParameterValues) {
    return make_error("-L {}: {} values; give at most {}", name, list.values.size(),
                      kMaxParameterValues);
  }
  return list;
}

Expected<ParameterValues> parameter_range(const std::string& name, const std::string& min,
                                          const std::string& max, const std::string& step) {
  const std::string what =
      fmt::format("-P {} {} {}{}", name, min, max, step.empty() ? "" : " -D " + step);
  if (name.empty()) return make_error("-P: give a parameter name, e.g. -P threads 1 8");
  auto low = parse_decimal(min), high = parse_decimal(max);
  auto delta = parse_decimal(step.empty() ? "1" : step);
  if (!low || !high)
    return make_error("{}: MIN and MAX must be numbers, e.g. -P threads 1 8", what);
  if (!delta) return make_error("{}: the step (-D) must be a number, e.g. -D 2", what);
  if ((low->scale > 0 || high->scale > 0) && step.empty()) {
    return make_error("{}: a range of decimals needs a step: add -D STEP, e.g. -D 0.1", what);
  }
  const int scale = std::max({low->scale, high->scale, delta->scale});
  const int64_t a = low->mantissa * power_of_ten(scale - low->scale);
  const int64_t b = high->mantissa * power_of_ten(scale - high->scale);
  const int64_t d = delta->mantissa * power_of_ten(scale - delta->scale);
  if (d <= 0) return make_error("{}: the step must be greater than 0", what);
  if (b < a) return make_error("{}: the range is empty (MAX is below MIN)", what);
  const uint64_t count = uint64_t(b - a) / uint64_t(d) + 1;
  if (count > kMaxParameterValues) {
    return make_error("{}: {} values; give at most {} (a larger step or a smaller range)", what,
                      count, kMaxParameterValues);
  }
  // As hyperfine's decimals: the first value keeps MIN's decimals, the sums have the step's too.
  const int sum_decimals = std::max(low->scale, delta->scale);
  ParameterValues range{name, {}};
  for (uint64_t i = 0; i < count; ++i) {
    range.values.push_back(
        decimal_text(a + int64_t(i) * d, scale, i == 0 ? low->scale : sum_decimals));
  }
  return range;
}

std::string substitute_parameters(std::string_view text,
                                  const std::vector<ParameterSetting>& settings) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : settings) {
        const std::string placeholder = "{" + name + "}";
        if (text.compare(i, placeholder.size(), placeholder) == 0) {
          out += value;
          i += placeholder.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

Expected<std::vector<ScannedCommand>> expand_parameters(
    const std::vector<std::string>& commands, const std::vector<std::string>& names,
    const std::vector<ParameterValues>& parameters) {
  for (std::size_t p = 0; p < parameters.size(); ++p) {
    for (std::size_t q = 0; q < p; ++q) {
      if (parameters[q].name == parameters[p].name) {
        return make_error("the parameter '{}' is given twice; give each -L/-P parameter once",
                          parameters[p].name);
      }
    }
    for (const auto& command : commands) {
      if (command.find("{" + parameters[p].name + "}") == std::string::npos) {
        return make_error(
            "the command '{}' does not use the parameter {{{}}}: put {{{}}} where its values go, "
            "e.g. 'sleep {{{}}}'",
            command, parameters[p].name, parameters[p].name, parameters[p].name);
      }
    }
  }
  std::size_t total = commands.size();
  for (const auto& p : parameters) {
    if (p.values.empty()) return make_error("the parameter '{}' has no values", p.name);
    if (total > kMaxParameterValues / p.values.size()) {
      return make_error("the parameter scan expands to more than {} commands; scan fewer values",
                        kMaxParameterValues);
    }
    total *= p.values.size();
  }
  if (names.size() > 1 && names.size() != total) {
    return make_error(
        "{} command names (-n) for {} commands: give one name (it may use the {{PARAMETER}} "
        "placeholders) or one per command",
        names.size(), total);
  }
  std::vector<ScannedCommand> scanned;
  if (commands.empty()) return scanned;
  scanned.reserve(total);
  std::vector<std::size_t> index(parameters.size() + 1, 0);  // command first: it varies fastest
  for (std::size_t n = 0; n < total; ++n) {
    ScannedCommand c;
    c.template_index = index[0];
    for (std::size_t p = 0; p < parameters.size(); ++p) {
      c.settings.emplace_back(parameters[p].name, parameters[p].values[index[p + 1]]);
    }
    c.text = substitute_parameters(commands[index[0]], c.settings);
    c.name = names.empty()
                 ? c.text
                 : substitute_parameters(names.size() == 1 ? names[0] : names[n], c.settings);
    scanned.push_back(std::move(c));
    for (std::size_t k = 0; k < index.size(); ++k) {
      const std::size_t size = k == 0 ? commands.size() : parameters[k - 1].values.size();
      if (++index[k] < size) break;
      index[k] = 0;
    }
  }
  return scanned;
}

}  // namespace coldbench::bench
