#pragma once
// Loads, prepares and warms up the models serve was given, marking the
// standard phases (model_loaded, model_optimized, first_inference,
// warmup_done) as it goes. Talks to LibTorch only through common/model.hpp.

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "torch/common/model_catalog.hpp"
#include "torch/serve/buckets.hpp"
#include "torch/serve/options.hpp"
#include "torch/serve/server.hpp"

namespace coldbench::workload::serve {

// A short, stable digest of the model file's bytes (FNV-1a 64, 12 hex
// digits): the `version` label, so a changed file is a new version.
Expected<std::string> model_version(const std::filesystem::path& path);

// Every --model resolved against the catalog; names must be unique.
Expected<std::vector<std::pair<std::string, ResolvedModel>>> resolve_models(
    const ServeOptions& options, const ModelSearchPath& search);

// `cancel` is checked between steps so a SIGTERM during a long load ends it.
// With --size-range, `bucket_metrics` (registered before the server serves)
// gets each model's bucket series, and --precompile's buckets are prepared
// here, before warmup_done and ready.
Expected<std::vector<ServedModel>> load_models(
    const ServeOptions& options, const std::vector<std::pair<std::string, ResolvedModel>>& models,
    const std::atomic<bool>& cancel, BucketMetrics* bucket_metrics = nullptr);

}  // namespace coldbench::workload::serve
