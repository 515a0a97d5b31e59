#include "core/env_var.hpp"

namespace coldbench {
namespace {

// Shows a NUL as \0 so the message itself stays one printable line.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Expected<void> check_env_var(std::string_view name, std::string_view value) {
  if (name.empty()) return make_error("an environment variable needs a name (got an empty one)");
  if (name.find('=') != std::string_view::npos) {
    return make_error("environment variable name '{}' contains '=': a name cannot hold one (write NAME=VALUE "
                      "with the '=' between them)",
                      printable(name));
  }
  if (name.find('\0') != std::string_view::npos) {
    return make_error("environment variable name '{}' contains a NUL byte; remove it", printable(name));
  }
  if (value.find('\0') != std::string_view::npos) {
    return make_error("environment variable {}: its value '{}' contains a NUL byte, which would cut it short; "
                      "remove it",
                      printable(name), printable(value));
  }
  return {};
}

}  // namespace coldbench
