// The config-level keys of an experiment file: command, env, limits, cache
// state and isolation, as [defaults], [[config]] and [matrix] give them.

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string_view>
#include <vector>

#include "core/env_var.hpp"
#include "core/shell_words.hpp"
#include "core/units.hpp"
#include "isolate/isolation_spec.hpp"
#include "core/cpu_list.hpp"
#include "limits/limit_spec.hpp"
#include "sweep/experiment_reader.hpp"

namespace coldbench::sweep::detail {

std::string closest(const std::string& key, const std::set<std::string>& known) {
  // A one-edit-away suggestion catches the usual typos (cpu/cpus, thread/threads).
  for (const auto& candidate : known) {
    int length_gap = static_cast<int>(candidate.size()) - static_cast<int>(key.size());
    if (std::abs(length_gap) > 1) continue;
    std::size_t i = 0;
    while (i < key.size() && i < candidate.size() && key[i] == candidate[i]) ++i;
    std::string_view a(key), b(candidate);
    if (a.substr(i + (length_gap <= 0 ? 1 : 0)) == b.substr(i + (length_gap >= 0 ? 1 : 0))) {
      return fmt::format(" (did you mean '{}'?)", candidate);
    }
  }
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return fmt::format(" (known keys: {})", list);
}

Expected<void> check_keys(const Reader& reader, const toml::table& table, const std::set<std::string>& known,
                          const std::string& where) {
  for (auto&& [key, node] : table) {
    std::string name(key.str());
    if (!known.count(name)) {
      return reader.at(key.source(), "unknown key '{}' in {}{}", name, where, closest(name, known));
    }
  }
  return {};
}

// A scalar as the text a label or placeholder shows: 1.0 -> "1", "0-1" -> "0-1".
std::string scalar_text(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<int64_t>());
  if (node.is_floating_point()) return fmt::format("{:g}", *node.value<double>());
  if (auto b = node.value<bool>()) return *b ? "true" : "false";
  return {};
}

bool is_scalar(const toml::node& node) {
  return node.is_string() || node.is_integer() || node.is_floating_point() || node.is_boolean();
}

namespace {

Expected<std::vector<std::string>> string_list(const Reader& reader, const toml::node& node, const char* key) {
  std::vector<std::string> out;
  if (auto s = node.value<std::string>()) return std::vector<std::string>{*s};
  const auto* array = node.as_array();
  if (!array) return reader.at(node.source(), "'{}' must be a string or an array of strings", key);
  for (const auto& item : *array) {
    auto s = item.value<std::string>();
    if (!s) return reader.at(item.source(), "'{}' must contain only strings", key);
    out.push_back(*s);
  }
  return out;
}

}  // namespace

// Applies one config-level key to `config`; `node` has been checked to exist.
Expected<void> apply_key(const Reader& reader, ConfigSpec& config, const std::string& key, const toml::node& node) {
  const auto& where = node.source();
  if (key == "command") {
    if (auto text = node.value<std::string>()) {
      config.command_text = *text;
      config.argv.clear();
    } else {
      auto words = string_list(reader, node, "command");
      if (!words) return words.error();
      if (words->empty()) return reader.at(where, "'command' must not be empty");
      config.argv = *words;
      config.command_text.clear();
      for (const auto& w : config.argv) config.command_text += (config.command_text.empty() ? "" : " ") + quote_shell_word(w);
    }
  } else if (key == "shell") {
    auto value = node.value<bool>();
    if (!value) return reader.at(where, "'shell' must be true or false");
    config.shell = *value;
  } else if (key == "env") {
    const auto* table = node.as_table();
    if (!table) return reader.at(where, "'env' must be a table, e.g. env = {{ OMP_NUM_THREADS = \"2\" }}");
    for (auto&& [key_node, value] : *table) {
      // A named copy: clang 14 cannot capture a structured binding in a lambda.
      const std::string name(key_node.str());
      if (!is_scalar(value)) return reader.at(value.source(), "env value '{}' must be a string or number", name);
      if (auto valid = check_env_var(name, scalar_text(value)); !valid) {
        return reader.at(value.source(), valid.error().with_context("env"));
      }
      std::erase_if(config.env, [&](const auto& kv) { return kv.first == name; });
      config.env.emplace_back(name, scalar_text(value));
    }
  } else if (key == "cpus") {
    auto value = node.value<double>();
    if (!value || node.is_boolean()) return reader.at(where, "'cpus' must be a number of CPUs, e.g. 1.0 or 0.5");
    int online = static_cast<int>(read_online_cpus().size());
    if (*value <= 0 || *value > online) {
      return reader.at(where, "impossible limit cpus = {:g}: this machine has {} online CPUs (use 0 < cpus <= {})",
                       *value, online, online);
    }
    config.limits.cpus = *value;
  } else if (key == "cpuset" || key == "affinity") {
    if (!node.is_string() && !node.is_integer()) return reader.at(where, "'{}' must be a CPU list like \"0-1\" or 0", key);
    std::string text = scalar_text(node);
    auto list = parse_user_cpu_list(key, text, read_online_cpus());
    if (!list) return reader.at(where, list.error());
    (key == "cpuset" ? config.limits.cpuset : config.limits.affinity) = text;
  } else if (key == "memory") {
    Expected<int64_t> bytes = node.is_integer() ? Expected<int64_t>(*node.value<int64_t>())
                                                : parse_size_bytes(node.value<std::string>().value_or(""));
    if (!bytes) return reader.at(where, bytes.error().with_context("'memory'"));
    if (auto allowed = limits::check_memory_limit(*bytes); !allowed) return reader.at(where, allowed.error());
    config.limits.memory_bytes = *bytes;
  } else if (key == "threads") {
    limits::ThreadSetting setting;
    if (node.value<std::string>() == "auto") {
      setting.automatic = true;
    } else if (node.is_integer() && *node.value<int64_t>() > 0 && *node.value<int64_t>() <= 4096) {
      setting.count = static_cast<int>(*node.value<int64_t>());
    } else {
      return reader.at(where, "'threads' must be \"auto\" or a positive integer");
    }
    config.limits.threads = setting;
  } else if (key == "cache") {
    auto mode = node.value<std::string>();
    if (!mode || (*mode != "none" && *mode != "warm" && *mode != "cold" && *mode != "drop" &&
                  *mode != "cold+prefetch")) {
      return reader.at(where, "'cache' must be one of none, warm, cold, cold+prefetch, drop");
    }
    config.cache = *mode;
  } else if (key == "track" || key == "mounts") {
    auto list = string_list(reader, node, key.c_str());
    if (!list) return list.error();
    (key == "track" ? config.track : config.mounts) = *list;
  } else if (key == "isolation") {
    auto mode = node.value<std::string>();
    if (!mode || !isolate::parse_isolation_mode(*mode)) {
      return reader.at(where, "'isolation' must be one of host, sandbox, docker, podman");
    }
    config.isolation = *mode;
  } else if (key == "image") {
    auto image = node.value<std::string>();
    if (!image || image->empty()) return reader.at(where, "'image' must be a non-empty string");
    config.image = *image;
  }
  return {};
}

Expected<void> apply_table(const Reader& reader, ConfigSpec& config, const toml::table& table) {
  for (auto&& [key, node] : table) {
    std::string name(key.str());
    if (name == "name" || name == "phases" || name == "metrics") continue;
    if (auto done = apply_key(reader, config, name, node); !done) return done;
  }
  return {};
}

std::string substitute(std::string text, const std::map<std::string, std::string>& params) {
  for (const auto& [key, value] : params) {
    std::string placeholder = "{" + key + "}";
    for (std::size_t pos = text.find(placeholder); pos != std::string::npos; pos = text.find(placeholder, pos + value.size())) {
      text.replace(pos, placeholder.size(), value);
    }
  }
  return text;
}

// Fills argv from the command text once placeholders are known.
Expected<void> finish_command(const Reader& reader, ConfigSpec& config, const toml::source_region& where) {
  if (config.command_text.empty()) return reader.at(where, "config '{}' has no 'command' (set it in [defaults] or the config)", config.name);
  // TOML allows "\u0000" (in the command or a matrix value put into it); no argument can hold
  // one, so exec would cut the word short without a word.
  auto has_nul = [](const std::string& word) { return word.find('\0') != std::string::npos; };
  if (has_nul(config.command_text) || std::any_of(config.argv.begin(), config.argv.end(), has_nul)) {
    return reader.at(where, "config '{}': the command contains a NUL character (\\u0000), which would cut it short; "
                     "remove it", config.name);
  }
  if (config.shell) {
    config.argv = {"/bin/sh", "-c", config.command_text};
  } else if (config.argv.empty()) {
    auto words = split_shell_words(config.command_text);
    if (!words) return reader.at(where, words.error().with_context(fmt::format("config '{}'", config.name)));
    config.argv = *words;
  }
  return {};
}

void add_setting_labels(ConfigSpec& config) {
  const auto& l = config.limits;
  if (l.cpus) config.labels["cpus"] = fmt::format("{:g}", *l.cpus);
  if (l.cpuset) config.labels["cpuset"] = *l.cpuset;
  if (l.memory_bytes) config.labels["memory"] = format_bytes(double(*l.memory_bytes));
  if (l.affinity) config.labels["affinity"] = *l.affinity;
  if (l.threads) config.labels["threads"] = l.threads->automatic ? "auto" : std::to_string(l.threads->count);
  config.labels["cache"] = config.cache;
  config.labels["isolation"] = config.isolation;
  for (const auto& [k, v] : config.env) config.labels["env." + k] = v;
}

}  // namespace coldbench::sweep::detail
