#pragma once
// Where models come from: `--model NAME|PATH` resolution, the JSON sidecars
// that models/export.py writes next to each .pt file, and the listing behind
// `coldbench-torch models`. No LibTorch here: a sidecar is plain JSON.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::workload {

// The scripted model's output for the sidecar's seeded input, abbreviated:
// `values` holds all outputs of a small model or the first N of a large one.
struct ReferenceOutput {
  std::vector<int64_t> shape;
  int64_t numel = 0;
  double sum = 0;
  double abs_sum = 0;
  double max_abs = 0;
  int64_t argmax = -1;
  std::vector<double> values;
};

struct ModelSidecar {
  std::string name;
  std::string description;
  std::string dtype = "float32";
  std::vector<int64_t> input_shape;  // at batch 1, batch dimension first
  uint64_t seed = 0;
  std::optional<double> input_sum;  // checksum of the reference input (one sample)
  std::optional<ReferenceOutput> reference;
  std::optional<double> flops_per_sample;
  std::optional<int64_t> parameters;
  std::string exported_with;  // "torch 1.13.0a0, torchvision 0.14.1a0"
  std::string regenerate;

  std::vector<int64_t> sample_shape() const;  // input_shape without the batch dimension
};

Expected<ModelSidecar> parse_sidecar(std::string_view json_text, const std::string& origin);
Expected<ModelSidecar> load_sidecar(const std::filesystem::path& path);

// <dir>/<name>.pt -> <dir>/<name>.json
std::filesystem::path sidecar_path_for(const std::filesystem::path& model_path);

// Where model names are looked up, in order: $COLDBENCH_MODELS_DIR alone when
// it is set; otherwise models/ next to the executable, then the build tree's
// models directory compiled into the binary.
struct ModelSearchPath {
  std::vector<std::filesystem::path> dirs;
  std::string origin;  // how the list was chosen, for error messages
};
ModelSearchPath model_search_path(const char* env_dir, const std::filesystem::path& executable_dir,
                                  const std::filesystem::path& build_models_dir);
ModelSearchPath default_model_search_path();  // from the real environment and /proc/self/exe

struct ResolvedModel {
  std::string name;  // the sidecar's name, else the file's stem
  std::filesystem::path path;
  bool from_catalog = false;  // found by name (false: the user passed a path)
  std::optional<ModelSidecar> sidecar;
};

// A NAME is looked up in the search path; anything with a '/' or a .pt/.pth
// suffix, or an existing file, is a PATH. Errors name what was tried and the fix.
Expected<ResolvedModel> resolve_model(std::string_view name_or_path, const ModelSearchPath& search);

struct CatalogEntry {
  std::string name;
  std::filesystem::path path;
  int64_t size_bytes = 0;
  std::optional<ModelSidecar> sidecar;
  std::string sidecar_error;  // why the sidecar could not be read; empty if fine or absent
};

// Every <name>.pt in the search path, sorted by name; a name found in an
// earlier directory hides the same name in later ones.
std::vector<CatalogEntry> list_models(const ModelSearchPath& search);

}  // namespace coldbench::workload
