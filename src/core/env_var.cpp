#include "core/env_var.hpp"

#include <algorithm>

extern char** environ;

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

std::optional<EnvEntry> split_env_entry(std::string_view entry) {
  auto eq = entry.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  return EnvEntry{entry.substr(0, eq), entry.substr(eq + 1)};
}

std::string env_entry(std::string_view name, std::string_view value) {
  std::string entry;
  entry.reserve(name.size() + 1 + value.size());
  entry.append(name).append(1, '=').append(value);
  return entry;
}

bool is_entry_for(std::string_view entry, std::string_view name) {
  return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
         entry[name.size()] == '=';
}

const std::string* find_env_entry(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& entry : env) {
    if (is_entry_for(entry, name)) return &entry;
  }
  return nullptr;
}

void set_env_entry(std::vector<std::string>& env, std::string_view name, std::string_view value) {
  for (auto& entry : env) {
    if (is_entry_for(entry, name)) {
      entry = env_entry(name, value);
      return;
    }
  }
  env.push_back(env_entry(name, value));
}

void unset_env_entry(std::vector<std::string>& env, std::string_view name) {
  std::erase_if(env, [&](const std::string& entry) { return is_entry_for(entry, name); });
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace coldbench
