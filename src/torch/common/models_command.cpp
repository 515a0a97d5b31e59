// `coldbench-torch models`: what --model NAME can find, with sizes and shapes.
// Reads sidecars only; LibTorch is never asked to load anything.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "torch/common/model.hpp"
#include "torch/common/model_catalog.hpp"
#include "torch/subcommands.hpp"

namespace coldbench::workload {
namespace {

std::string format_size(int64_t bytes) {
  double value = static_cast<double>(bytes);
  if (value >= 1024.0 * 1024.0) return fmt::format("{:.1f} MiB", value / (1024.0 * 1024.0));
  if (value >= 1024.0) return fmt::format("{:.1f} KiB", value / 1024.0);
  return fmt::format("{} B", bytes);
}

nlohmann::json entry_json(const CatalogEntry& entry) {
  nlohmann::json out = {{"name", entry.name},
                        {"path", entry.path.string()},
                        {"size_bytes", entry.size_bytes},
                        {"has_sidecar", entry.sidecar.has_value()}};
  if (entry.sidecar) {
    out["input_shape"] = entry.sidecar->input_shape;
    out["dtype"] = entry.sidecar->dtype;
    out["description"] = entry.sidecar->description;
    if (entry.sidecar->parameters) out["parameters"] = *entry.sidecar->parameters;
    if (entry.sidecar->flops_per_sample) out["flops_per_sample"] = *entry.sidecar->flops_per_sample;
    out["exported_with"] = entry.sidecar->exported_with;
  }
  if (!entry.sidecar_error.empty()) out["sidecar_error"] = entry.sidecar_error;
  return out;
}

struct ModelsArgs {
  bool json = false;
};

int run_models(const ModelsArgs& args) {
  ModelSearchPath search = default_model_search_path();
  std::vector<CatalogEntry> entries = list_models(search);
  if (args.json) {
    nlohmann::json dirs = nlohmann::json::array();
    for (const auto& dir : search.dirs) dirs.push_back(dir.string());
    nlohmann::json models = nlohmann::json::array();
    for (const CatalogEntry& entry : entries) models.push_back(entry_json(entry));
    fmt::print("{}\n", json_text(nlohmann::json{{"search_dirs", dirs}, {"models", models}}, 2));
    return 0;
  }
  std::vector<std::string> dirs;
  for (const auto& dir : search.dirs) dirs.push_back(dir.string());
  fmt::print("models found by name (searched: {}; {})\n\n", fmt::join(dirs, ", "), search.origin);
  if (entries.empty()) {
    fmt::print("(none) - the shipped models are exported at build time: cmake --build build\n");
    return 0;
  }
  fmt::print("{:<16} {:>10} {:<20} {:>12} {:>10}  {}\n", "name", "size", "input shape",
             "parameters", "GFLOPs", "path");
  for (const CatalogEntry& entry : entries) {
    std::string shape = "? (no sidecar)";
    std::string parameters = "-";
    std::string gflops = "-";
    if (entry.sidecar) {
      shape = format_shape(entry.sidecar->input_shape);
      if (entry.sidecar->parameters) parameters = fmt::format("{}", *entry.sidecar->parameters);
      if (entry.sidecar->flops_per_sample) {
        gflops = fmt::format("{:.3f}", *entry.sidecar->flops_per_sample / 1e9);
      }
    } else if (!entry.sidecar_error.empty()) {
      shape = "? (bad sidecar)";
    }
    fmt::print("{:<16} {:>10} {:<20} {:>12} {:>10}  {}\n", entry.name,
               format_size(entry.size_bytes), shape, parameters, gflops, entry.path.string());
  }
  for (const CatalogEntry& entry : entries) {
    if (!entry.sidecar_error.empty()) fmt::print("\nwarning: {}\n", entry.sidecar_error);
  }
  return 0;
}

}  // namespace

Subcommand add_models_command(CLI::App& parent, const ProcessContext& /*context*/) {
  auto args = std::make_shared<ModelsArgs>();
  CLI::App* app = parent.add_subcommand(
      "models",
      "List the models --model NAME finds ($COLDBENCH_MODELS_DIR, else models/ next to the "
      "executable, else the build tree), with file size, input shape, parameters and GFLOPs per "
      "sample.");
  app->add_flag("--json", args->json, "print the list as JSON");
  return Subcommand{app, [args]() { return run_models(*args); }};
}

}  // namespace coldbench::workload
