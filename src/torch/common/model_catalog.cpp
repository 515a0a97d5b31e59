#include "torch/common/model_catalog.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#ifndef COLDBENCH_TORCH_MODELS_DIR
#define COLDBENCH_TORCH_MODELS_DIR ""
#endif

namespace coldbench::workload {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<int64_t> int_list(const json& value, const char* what) {
  if (!value.is_array())
    throw std::runtime_error(fmt::format("'{}' must be a list of integers", what));
  std::vector<int64_t> out;
  for (const json& item : value) {
    if (!item.is_number_integer()) {
      throw std::runtime_error(fmt::format("'{}' must be a list of integers", what));
    }
    out.push_back(item.get<int64_t>());
  }
  return out;
}

std::vector<double> number_list(const json& value, const char* what) {
  if (!value.is_array())
    throw std::runtime_error(fmt::format("'{}' must be a list of numbers", what));
  std::vector<double> out;
  for (const json& item : value) {
    if (!item.is_number())
      throw std::runtime_error(fmt::format("'{}' must be a list of numbers", what));
    out.push_back(item.get<double>());
  }
  return out;
}

bool looks_like_path(std::string_view text) {
  auto ends_with = [&](std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
  };
  return text.find('/') != std::string_view::npos || ends_with(".pt") || ends_with(".pth") ||
         ends_with(".ptl") || ends_with(".zip");
}

std::string dir_list(const ModelSearchPath& search) {
  std::vector<std::string> dirs;
  for (const fs::path& dir : search.dirs) dirs.push_back(dir.string());
  return dirs.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(dirs, ", "));
}

}  // namespace

std::vector<int64_t> ModelSidecar::sample_shape() const {
  if (input_shape.size() <= 1) return {};
  return {input_shape.begin() + 1, input_shape.end()};
}

Expected<ModelSidecar> parse_sidecar(std::string_view json_text, const std::string& origin) {
  ModelSidecar sidecar;
  try {
    json doc = json::parse(json_text);
    if (!doc.is_object()) throw std::runtime_error("the top level must be an object");
    sidecar.name = doc.value("name", "");
    sidecar.description = doc.value("description", "");
    sidecar.dtype = doc.value("dtype", "float32");
    if (!doc.contains("input_shape")) throw std::runtime_error("'input_shape' is missing");
    sidecar.input_shape = int_list(doc["input_shape"], "input_shape");
    if (sidecar.input_shape.size() < 2 ||
        std::any_of(sidecar.input_shape.begin(), sidecar.input_shape.end(),
                    [](int64_t d) { return d <= 0; })) {
      throw std::runtime_error("'input_shape' needs a batch dimension and positive sizes");
    }
    if (doc.value("batch_dim", 0) != 0) throw std::runtime_error("only batch_dim 0 is supported");
    if (sidecar.dtype != "float32") {
      throw std::runtime_error(
          fmt::format("dtype '{}' is not supported (float32 only)", sidecar.dtype));
    }
    sidecar.seed = doc.value("seed", uint64_t{0});
    if (doc.contains("input") && doc["input"].contains("sum")) {
      sidecar.input_sum = doc["input"]["sum"].get<double>();
    }
    if (doc.contains("reference")) {
      const json& ref = doc["reference"];
      ReferenceOutput out;
      out.shape = int_list(ref.at("shape"), "reference.shape");
      out.numel = ref.value("numel", int64_t{0});
      out.sum = ref.at("sum").get<double>();
      out.abs_sum = ref.value("abs_sum", 0.0);
      out.max_abs = ref.value("max_abs", 0.0);
      out.argmax = ref.value("argmax", int64_t{-1});
      out.values = number_list(ref.at("values"), "reference.values");
      sidecar.reference = std::move(out);
    }
    if (doc.contains("flops_per_sample") && doc["flops_per_sample"].is_number()) {
      sidecar.flops_per_sample = doc["flops_per_sample"].get<double>();
    }
    if (doc.contains("parameters") && doc["parameters"].is_number_integer()) {
      sidecar.parameters = doc["parameters"].get<int64_t>();
    }
    if (doc.contains("exported_with") && doc["exported_with"].is_object()) {
      const json& with = doc["exported_with"];
      sidecar.exported_with = fmt::format("torch {}, torchvision {}", with.value("torch", "?"),
                                          with.value("torchvision", "?"));
    }
    sidecar.regenerate = doc.value("regenerate", "");
  } catch (const std::exception& e) {
    return make_error(
        "model sidecar {} is not valid: {}. fix: re-export it with models/export.py "
        "(or delete it and pass --input-shape)",
        origin, e.what());
  }
  return sidecar;
}

Expected<ModelSidecar> load_sidecar(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read model sidecar {}", path.string());
  std::stringstream text;
  text << in.rdbuf();
  return parse_sidecar(text.str(), path.string());
}

fs::path sidecar_path_for(const fs::path& model_path) {
  fs::path sidecar = model_path;
  sidecar.replace_extension(".json");
  return sidecar;
}

ModelSearchPath model_search_path(const char* env_dir, const fs::path& executable_dir,
                                  const fs::path& build_models_dir) {
  ModelSearchPath search;
  if (env_dir && *env_dir) {
    search.dirs.push_back(env_dir);
    search.origin = "COLDBENCH_MODELS_DIR";
    return search;
  }
  if (!executable_dir.empty()) search.dirs.push_back(executable_dir / "models");
  if (!build_models_dir.empty() &&
      std::find(search.dirs.begin(), search.dirs.end(), build_models_dir) == search.dirs.end()) {
    search.dirs.push_back(build_models_dir);
  }
  search.origin = "models/ next to coldbench-torch, then the build tree";
  return search;
}

ModelSearchPath default_model_search_path() {
  fs::path executable_dir;
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error) executable_dir = self.parent_path();
  return model_search_path(std::getenv("COLDBENCH_MODELS_DIR"), executable_dir,
                           fs::path(COLDBENCH_TORCH_MODELS_DIR));
}

Expected<ResolvedModel> resolve_model(std::string_view name_or_path,
                                      const ModelSearchPath& search) {
  ResolvedModel model;
  std::error_code error;
  const std::string text(name_or_path);
  bool as_path = looks_like_path(text) || fs::is_regular_file(text, error);

  if (as_path) {
    model.path = fs::absolute(text, error);
    if (!fs::exists(model.path, error)) {
      return make_error(
          "model file {} does not exist. fix: check the path, or pass a model name "
          "(see `coldbench-torch models`)",
          text);
    }
    if (!fs::is_regular_file(model.path, error)) {
      return make_error(
          "model path {} is not a regular file. fix: pass a TorchScript .pt file "
          "saved with torch.jit.save",
          text);
    }
    model.name = model.path.stem().string();
  } else {
    for (const fs::path& dir : search.dirs) {
      fs::path candidate = dir / (text + ".pt");
      if (fs::is_regular_file(candidate, error)) {
        model.path = candidate;
        break;
      }
    }
    if (model.path.empty()) {
      std::vector<std::string> names;
      for (const CatalogEntry& entry : list_models(search)) names.push_back(entry.name);
      return make_error(
          "no model named '{}' in {} (searched: {}). available: {}. fix: pass one of the available "
          "names, a path to a TorchScript .pt file, or build the shipped models (they are exported "
          "at build time: cmake --build build)",
          text, search.origin, dir_list(search),
          names.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(names, ", ")));
    }
    model.name = text;
    model.from_catalog = true;
  }

  fs::path sidecar_path = sidecar_path_for(model.path);
  if (fs::is_regular_file(sidecar_path, error)) {
    auto sidecar = load_sidecar(sidecar_path);
    if (!sidecar) return sidecar.error();
    if (!sidecar->name.empty()) model.name = sidecar->name;
    model.sidecar = std::move(*sidecar);
  }
  return model;
}

std::vector<CatalogEntry> list_models(const ModelSearchPath& search) {
  std::map<std::string, CatalogEntry> by_name;
  for (const fs::path& dir : search.dirs) {
    std::error_code error;
    if (!fs::is_directory(dir, error)) continue;
    for (const fs::directory_entry& file : fs::directory_iterator(dir, error)) {
      if (file.path().extension() != ".pt" || !file.is_regular_file(error)) continue;
      std::string name = file.path().stem().string();
      if (by_name.count(name)) continue;
      CatalogEntry entry;
      entry.name = name;
      entry.path = file.path();
      entry.size_bytes = static_cast<int64_t>(file.file_size(error));
      fs::path sidecar_path = sidecar_path_for(file.path());
      if (fs::is_regular_file(sidecar_path, error)) {
        auto sidecar = load_sidecar(sidecar_path);
        if (sidecar) {
          entry.sidecar = std::move(*sidecar);
        } else {
          entry.sidecar_error = sidecar.error().message;
        }
      }
      by_name.emplace(name, std::move(entry));
    }
  }
  std::vector<CatalogEntry> entries;
  for (auto& [name, entry] : by_name) entries.push_back(std::move(entry));
  return entries;
}

}  // namespace coldbench::workload
