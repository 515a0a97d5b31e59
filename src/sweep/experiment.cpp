#include "sweep/experiment.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "bench/schedule.hpp"
#include "core/env_var.hpp"
#include "core/json_text.hpp"
#include "core/shell_words.hpp"
#include "core/units.hpp"
#include "isolate/isolation_spec.hpp"
#include "limits/limit_spec.hpp"
#include "sweep/experiment_reader.hpp"

namespace coldbench::sweep {
namespace {

using detail::Reader;
using detail::kConfigKeys;
using detail::check_keys;
using detail::closest;
using detail::scalar_text;
using detail::is_scalar;
using detail::apply_key;
using detail::apply_table;
using detail::substitute;
using detail::finish_command;
using detail::add_setting_labels;

const std::set<std::string> kExperimentKeys = {"name",    "runs",   "warmup",    "order",    "cache",   "seed",
                                               "timeout", "target_ci", "min_runs", "max_runs", "max_time"};
const std::set<std::string> kTopLevelKeys = {"experiment", "defaults", "config", "matrix", "contrast"};
const std::set<std::string> kContrastKeys = {"name", "baseline", "candidate"};

using MatrixAxes = std::vector<std::pair<std::string, std::vector<const toml::node*>>>;

// How many configs [[config]] x [matrix] expands to, or why that is too many.
Expected<int64_t> count_configs(std::size_t bases, const MatrixAxes& axes) {
  std::string product = fmt::format("{} {}", bases, bases == 1 ? "config" : "configs");
  int64_t count = static_cast<int64_t>(bases);
  bool overflow = false;
  for (const auto& [axis, values] : axes) {
    product += fmt::format(" x {} ({})", values.size(), axis);
    overflow = overflow || __builtin_mul_overflow(count, static_cast<int64_t>(values.size()), &count);
  }
  if (overflow || count > kMaxConfigs) {
    return make_error("[matrix] expands to {} = {} configs, more than the {} one experiment may hold; use fewer "
                      "values, or split the study into several experiment files",
                      product, overflow ? std::string("over 2^63") : std::to_string(count), kMaxConfigs);
  }
  return count;
}

// [experiment]: the name and how the session runs (runs or runs = "auto",
// warmup, order, seed, timeout).
Expected<const toml::table*> read_header(const Reader& reader, const toml::table& root, Experiment& experiment) {
  const toml::table* header = root["experiment"].as_table();
  if (!header) return make_error("{}: missing [experiment] table (name, runs, ...)", reader.source());
  if (auto done = check_keys(reader, *header, kExperimentKeys, "[experiment]"); !done) return done.error();
  auto name = (*header)["name"].value<std::string>();
  if (!name || name->empty()) return reader.at(header->source(), "[experiment] needs a non-empty 'name'");
  experiment.name = *name;
  auto positive_int = [&](const char* key, int& out, int minimum) -> Expected<void> {
    const toml::node* node = header->get(key);
    if (!node) return {};
    auto value = node->value<int64_t>();
    if (!node->is_integer() || *value < minimum || *value > bench::kMaxRunsPerCommand) {
      return reader.at(node->source(), "'{}' must be an integer >= {} (and at most {} per config)", key, minimum,
                       bench::kMaxRunsPerCommand);
    }
    out = static_cast<int>(*value);
    return {};
  };
  const toml::node* runs_node = header->get("runs");
  if (runs_node && runs_node->is_string() && *runs_node->value<std::string>() == "auto") {
    // runs = "auto": the adaptive settings beside it (bench/adaptive.hpp).
    bench::AdaptiveSettings settings;
    if (const toml::node* node = header->get("target_ci")) {
      settings.target_ci = node->is_string() ? *node->value<std::string>() : scalar_text(*node);
    }
    for (auto [key, target] : {std::pair{"min_runs", &settings.min_runs}, std::pair{"max_runs", &settings.max_runs}}) {
      const toml::node* node = header->get(key);
      if (!node) continue;
      if (!node->is_integer()) return reader.at(node->source(), "'{}' must be an integer number of runs", key);
      *target = *node->value<int64_t>();
    }
    if (const toml::node* node = header->get("max_time")) {
      settings.max_time = node->is_string() ? *node->value<std::string>() : scalar_text(*node);
    }
    auto adaptive = bench::make_adaptive_options(settings, false);
    if (!adaptive) return reader.at(header->source(), adaptive.error());
    experiment.adaptive = std::move(adaptive).value();
  } else {
    if (runs_node && runs_node->is_string()) {
      return reader.at(runs_node->source(), "'runs' must be an integer >= 1 or \"auto\"");
    }
    if (auto done = positive_int("runs", experiment.runs, 1); !done) return done.error();
    for (const char* key : {"target_ci", "min_runs", "max_runs", "max_time"}) {
      if (const toml::node* node = header->get(key)) {
        return reader.at(node->source(), "'{}' goes with runs = \"auto\"; set runs = \"auto\" or remove '{}'", key,
                         key);
      }
    }
  }
  if (auto done = positive_int("warmup", experiment.warmup, 0); !done) return done.error();
  if (const toml::node* node = header->get("order")) {
    auto order = node->value<std::string>();
    if (!order || !bench::parse_order(*order)) return reader.at(node->source(), "'order' must be interleaved, sequential or random");
    experiment.order = *order;
  }
  if (const toml::node* node = header->get("seed")) {
    if (!node->is_integer()) return reader.at(node->source(), "'seed' must be an integer from 0 to 2^63-1");
    auto seed = bench::check_seed(*node->value<int64_t>());
    if (!seed) return reader.at(node->source(), seed.error());
    experiment.seed = *seed;
  }
  if (const toml::node* node = header->get("timeout")) {
    auto text = node->is_string() ? *node->value<std::string>() : scalar_text(*node);
    auto seconds = parse_duration_seconds(text);
    if (!seconds) return reader.at(node->source(), seconds.error().with_context("'timeout'"));
    experiment.timeout_s = *seconds;
  }
  return header;
}

// [defaults] (and [experiment]'s cache): the settings every config starts
// from; its phases and metrics tables are the experiment's regex rules.
Expected<ConfigSpec> read_defaults(const Reader& reader, const toml::table& root, const toml::table& header,
                                   Experiment& experiment) {
  ConfigSpec defaults;
  defaults.name = experiment.name;
  if (const toml::node* node = header.get("cache")) {
    if (auto done = apply_key(reader, defaults, "cache", *node); !done) return done.error();
  }
  const toml::node* node = root.get("defaults");
  if (!node) return defaults;
  const auto* table = node->as_table();
  if (!table) return reader.at(node->source(), "[defaults] must be a table");
  std::set<std::string> known = kConfigKeys;
  known.insert({"phases", "metrics"});
  if (auto done = check_keys(reader, *table, known, "[defaults]"); !done) return done.error();
  if (auto done = apply_table(reader, defaults, *table); !done) return done.error();
  for (const char* kind : {"phases", "metrics"}) {
    const toml::node* rules = table->get(kind);
    if (!rules) continue;
    const auto* rule_table = rules->as_table();
    if (!rule_table) return reader.at(rules->source(), "'{}' must be a table of NAME = \"REGEX\"", kind);
    for (auto&& [rule_name, regex] : *rule_table) {
      auto text = regex.value<std::string>();
      if (!text) return reader.at(regex.source(), "{}.{} must be a regex string", kind, rule_name.str());
      (std::string(kind) == "phases" ? experiment.phase_rules : experiment.metric_rules)
          .push_back(std::string(rule_name.str()) + "=" + *text);
    }
  }
  return defaults;
}

// Each config before the matrix, with where it was written (for errors).
using BaseConfigs = std::vector<std::pair<ConfigSpec, toml::source_region>>;

// [[config]] entries over the defaults; none means one config: the defaults.
Expected<BaseConfigs> read_base_configs(const Reader& reader, const toml::table& root, const toml::table& header,
                                        ConfigSpec defaults) {
  BaseConfigs bases;
  const toml::node* node = root.get("config");
  if (!node) {
    defaults.labels["config"] = defaults.name;
    bases.emplace_back(std::move(defaults), header.source());
    return bases;
  }
  const auto* array = node->as_array();
  if (!array || !array->is_array_of_tables()) return reader.at(node->source(), "'config' must be [[config]] tables");
  std::set<std::string> known = kConfigKeys;
  known.insert("name");
  for (const auto& item : *array) {
    const auto& table = *item.as_table();
    if (auto done = check_keys(reader, table, known, "[[config]]"); !done) return done.error();
    ConfigSpec config = defaults;
    auto config_name = table["name"].value<std::string>();
    if (!config_name || config_name->empty()) return reader.at(table.source(), "every [[config]] needs a 'name'");
    config.name = *config_name;
    if (auto done = apply_table(reader, config, table); !done) return done.error();
    config.labels["config"] = config.name;
    bases.emplace_back(std::move(config), table.source());
  }
  return bases;
}

// [matrix]: its keys and values. A key that is no config setting must be a
// {placeholder} some command or env uses.
Expected<MatrixAxes> read_matrix(const Reader& reader, const toml::table& root, const BaseConfigs& bases) {
  MatrixAxes axes;
  const toml::node* node = root.get("matrix");
  if (!node) return axes;
  const auto* table = node->as_table();
  if (!table) return reader.at(node->source(), "[matrix] must be a table of key = [values]");
  for (auto&& [key, values] : *table) {
    const auto* array = values.as_array();
    if (!array || array->empty()) return reader.at(values.source(), "matrix '{}' must be a non-empty array", key.str());
    std::vector<const toml::node*> items;
    for (const auto& v : *array) {
      if (!is_scalar(v)) return reader.at(v.source(), "matrix '{}' values must be strings or numbers", key.str());
      items.push_back(&v);
    }
    std::string axis(key.str());
    if (!kConfigKeys.count(axis)) {
      bool used = false;
      for (const auto& [base, where] : bases) {
        used = used || base.command_text.find("{" + axis + "}") != std::string::npos;
        for (const auto& [k, v] : base.env) used = used || v.find("{" + axis + "}") != std::string::npos;
      }
      if (!used) {
        return reader.at(key.source(), "matrix key '{}' is neither a config key nor used as {{{}}} in a command or env{}",
                         axis, axis, closest(axis, kConfigKeys));
      }
    }
    axes.emplace_back(axis, std::move(items));
  }
  return axes;
}

// One config of `base` at one combination of matrix values (`choice`).
Expected<ConfigSpec> expand_config(const Reader& reader, const ConfigSpec& base, const toml::source_region& where,
                                   const MatrixAxes& axes, const std::vector<std::size_t>& choice) {
  ConfigSpec config = base;
  std::map<std::string, std::string> params;
  std::string suffix;
  for (std::size_t a = 0; a < axes.size(); ++a) {
    const auto& [axis, items] = axes[a];
    const toml::node& value = *items[choice[a]];
    params[axis] = scalar_text(value);
    suffix += (suffix.empty() ? "" : ",") + axis + "=" + params[axis];
    config.labels[axis] = params[axis];
    if (kConfigKeys.count(axis)) {
      if (auto done = apply_key(reader, config, axis, value); !done) return done.error();
    }
  }
  if (!suffix.empty()) config.name += "/" + suffix;
  params["name"] = config.name;
  config.command_text = substitute(config.command_text, params);
  for (auto& word : config.argv) word = substitute(word, params);
  for (auto& [k, v] : config.env) {
    v = substitute(v, params);
    if (auto valid = check_env_var(k, v); !valid) {
      return reader.at(where, valid.error().with_context(fmt::format("config '{}'", config.name)));
    }
  }
  if (auto done = finish_command(reader, config, where); !done) return done.error();
  return config;
}

// Every base config x every combination of matrix values, names unique.
Expected<void> expand_configs(const Reader& reader, const BaseConfigs& bases, const MatrixAxes& axes,
                              Experiment& experiment) {
  std::set<std::string> names;
  for (const auto& [base, where] : bases) {
    std::vector<std::size_t> choice(axes.size(), 0);
    while (true) {
      auto config = expand_config(reader, base, where, axes, choice);
      if (!config) return config.error();
      if (!names.insert(config->name).second) return reader.at(where, "two configs are named '{}'", config->name);
      if ((config->isolation == "docker" || config->isolation == "podman") && config->image.empty()) {
        return reader.at(where, "config '{}': isolation = \"{}\" needs an 'image'", config->name, config->isolation);
      }
      add_setting_labels(*config);
      experiment.configs.push_back(std::move(config).value());
      // Next combination (odometer over the axes).
      std::size_t a = 0;
      for (; a < axes.size(); ++a) {
        if (++choice[a] < axes[a].second.size()) break;
        choice[a] = 0;
      }
      if (a == axes.size()) break;
    }
  }
  return {};
}

// [[contrast]]: the comparisons the study reports, by expanded config name.
Expected<void> read_contrasts(const Reader& reader, const toml::table& root, Experiment& experiment) {
  const toml::node* node = root.get("contrast");
  if (!node) return {};
  const auto* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    return reader.at(node->source(), "'contrast' must be [[contrast]] tables (baseline = \"CONFIG\", candidate = ...)");
  }
  std::set<std::string> names;
  for (const auto& config : experiment.configs) names.insert(config.name);
  for (const auto& item : *array) {
    const auto& table = *item.as_table();
    if (auto done = check_keys(reader, table, kContrastKeys, "[[contrast]]"); !done) return done.error();
    Contrast contrast;
    for (auto [key, target] : {std::pair{"baseline", &contrast.baseline}, std::pair{"candidate", &contrast.candidate}}) {
      auto value = table[key].value<std::string>();
      if (!value) return reader.at(table.source(), "[[contrast]] needs '{}' = \"CONFIG NAME\"", key);
      if (!names.count(*value)) {
        return reader.at(table[key].node()->source(),
                         "[[contrast]] {} '{}' is not a config of this experiment (names after the matrix, e.g. "
                         "'{}'; --dry-run lists them)",
                         key, *value, experiment.configs.front().name);
      }
      *target = *value;
    }
    if (contrast.baseline == contrast.candidate) {
      return reader.at(table.source(), "[[contrast]] compares '{}' with itself; name two configs", contrast.baseline);
    }
    contrast.name = table["name"].value<std::string>().value_or(contrast.candidate + " vs " + contrast.baseline);
    experiment.contrasts.push_back(std::move(contrast));
  }
  return {};
}

}  // namespace

Expected<Experiment> parse_experiment(std::string_view toml_text, const std::string& source_name) {
  Reader reader(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return reader.at(e.source(), "{}", e.description());
  }
  if (auto done = check_keys(reader, root, kTopLevelKeys, "the top level"); !done) return done.error();

  Experiment experiment;
  experiment.file = source_name;
  auto header = read_header(reader, root, experiment);
  if (!header) return header.error();
  auto defaults = read_defaults(reader, root, **header, experiment);
  if (!defaults) return defaults.error();
  auto bases = read_base_configs(reader, root, **header, std::move(defaults).value());
  if (!bases) return bases.error();
  auto axes = read_matrix(reader, root, *bases);
  if (!axes) return axes.error();

  // Counted before anything is expanded: 9 keys of 10 values are a billion configs.
  const toml::node* matrix_node = root.get("matrix");
  if (auto counted = count_configs(bases->size(), *axes); !counted) {
    return reader.at(matrix_node ? matrix_node->source() : (*header)->source(), counted.error());
  } else if (auto size = bench::check_session_size(
                 *counted, experiment.adaptive ? experiment.adaptive->max_runs : experiment.runs, experiment.warmup,
                 "configs");
             !size) {
    return reader.at((*header)->source(), size.error());
  }

  if (auto done = expand_configs(reader, *bases, *axes, experiment); !done) return done.error();
  if (auto done = read_contrasts(reader, root, experiment); !done) return done.error();
  return experiment;
}

Expected<std::string> read_experiment_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer before we can refuse it.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return make_error("cannot read experiment file '{}': {} (check the path)", path, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0) return make_error("cannot read experiment file '{}': {}", path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    const char* kind = S_ISDIR(st.st_mode)   ? "a directory"
                       : S_ISCHR(st.st_mode) ? "a character device"
                       : S_ISFIFO(st.st_mode) ? "a pipe"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a regular file";
    return make_error("experiment file '{}' is {}; give the path of a TOML file", path, kind);
  }
  // Read at most one byte past the limit, so a file that grows meanwhile is still caught.
  std::string text;
  char buffer[65536];
  while (text.size() <= kMaxExperimentFileBytes) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cannot read experiment file '{}': {}", path, std::strerror(errno));
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return make_error("experiment file '{}' is larger than {} KiB: an experiment describes configs, it holds no data "
                    "(is this the right file?)",
                    path, kMaxExperimentFileBytes / 1024);
}

Expected<Experiment> load_experiment(const std::string& path) {
  auto text = read_experiment_file(path);
  if (!text) return text.error();
  return parse_experiment(*text, path);
}

std::string Experiment::fingerprint() const {
  nlohmann::json j{{"name", name}, {"runs", runs}, {"warmup", warmup}, {"order", order}, {"seed", seed},
                   {"phases", phase_rules}, {"metrics", metric_rules}};
  for (const auto& c : contrasts) j["contrasts"].push_back({c.name, c.baseline, c.candidate});
  if (adaptive) {  // only when set: fingerprints of fixed-run experiments stay what they were
    j["adaptive"] = {{"target_ci", adaptive->target_ci},
                     {"min_runs", adaptive->min_runs},
                     {"max_runs", adaptive->max_runs},
                     {"max_time_s", adaptive->max_time_s ? nlohmann::json(*adaptive->max_time_s) : nlohmann::json()}};
  }
  for (const auto& c : configs) {
    j["configs"].push_back({{"name", c.name}, {"argv", c.argv}, {"env", c.env}, {"labels", c.labels},
                            {"track", c.track}, {"image", c.image}, {"mounts", c.mounts}});
  }
  // FNV-1a 64: stable across builds and platforms, unlike std::hash.
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char ch : json_text(j)) {
    hash ^= ch;
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

}  // namespace coldbench::sweep
