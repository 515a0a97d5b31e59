#pragma once
// Inside the experiment parser (sweep/experiment.cpp): errors placed at
// file:line:column, and the config-level keys ([defaults], [[config]] and
// matrix values alike), which sweep/experiment_config.cpp reads.

#include <map>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/expected.hpp"
#include "sweep/experiment.hpp"

namespace coldbench::sweep::detail {

inline const std::set<std::string> kConfigKeys = {"command", "shell",   "env",   "cpus",      "cpuset",   "memory",
                                                  "affinity", "threads", "cache", "track",     "isolation", "image",
                                                  "mounts"};

// Formats errors as "file:line:column: message".
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  template <class... Args>
  Error at(const toml::source_region& where, fmt::format_string<Args...> format, Args&&... args) const {
    return Error{fmt::format("{}:{}:{}: {}", source_, where.begin.line, where.begin.column,
                             fmt::format(format, std::forward<Args>(args)...))};
  }
  // An error from a helper, placed at `where`; its exit code stays.
  Error at(const toml::source_region& where, const Error& error) const {
    return error.with_context(fmt::format("{}:{}:{}", source_, where.begin.line, where.begin.column));
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

// The hint an unknown key's error ends with: " (did you mean 'KEY'?)" for
// a key one edit away from a known one, else " (known keys: ...)".
std::string closest(const std::string& key, const std::set<std::string>& known);
// Every key of `table` must be in `known`; `where` names the table in the error.
Expected<void> check_keys(const Reader& reader, const toml::table& table, const std::set<std::string>& known,
                          const std::string& where);
// A scalar as the text a label or placeholder shows: 1.0 -> "1", "0-1" -> "0-1".
std::string scalar_text(const toml::node& node);
bool is_scalar(const toml::node& node);

// Applies one config-level key to `config`; `node` has been checked to exist.
Expected<void> apply_key(const Reader& reader, ConfigSpec& config, const std::string& key, const toml::node& node);
// Every config-level key of a [defaults] or [[config]] table.
Expected<void> apply_table(const Reader& reader, ConfigSpec& config, const toml::table& table);
// {key} placeholders replaced by their values.
std::string substitute(std::string text, const std::map<std::string, std::string>& params);
// Fills argv from the command text once placeholders are known.
Expected<void> finish_command(const Reader& reader, ConfigSpec& config, const toml::source_region& where);
// The settings that differ from nothing, as labels (limits, cache, isolation, env.K).
void add_setting_labels(ConfigSpec& config);

}  // namespace coldbench::sweep::detail
