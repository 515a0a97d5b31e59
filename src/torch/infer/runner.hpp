#pragma once
// The infer workload: one cold start of a model, then a latency distribution
// per (mode, batch size), accuracy checks, and the marker stream the harness
// reads. Free of LibTorch headers (it drives common/model.hpp).
//
// Markers (docs/torch-infer.md has the full list):
// - the standard phases runtime_ready (main), model_loaded, model_optimized,
//   first_inference, warmup_done, inference_done, for the FIRST combination;
// - metrics latency, throughput, rss.peak, rss.growth, optimize_time for the
//   first combination, and with several combinations the same per combination
//   named <metric>.<mode>.b<batch> (optimize_time.<mode>);
// - accuracy.cosine.<mode>.b<batch> and accuracy.max_abs_diff.<mode>.b<batch>
//   for every non-script combination; info for runtime, CPU budget and model.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "torch/infer/accuracy.hpp"
#include "torch/infer/explain.hpp"
#include "core/expected.hpp"
#include "torch/infer/options.hpp"
#include "torch/infer/latency_summary.hpp"
#include "torch/common/model_catalog.hpp"
#include "torch/common/phase_log.hpp"
#include "torch/common/runtime_snapshot.hpp"

namespace coldbench::workload {

inline constexpr int kExitAccuracy = 1;  // the run completed but an accuracy check failed

struct CombinationResult {
  Mode mode = Mode::kScript;
  int64_t batch_size = 1;
  double optimize_ms = 0;  // preparing this mode (freeze / optimize_for_inference)
  double first_inference_ms = 0;
  std::vector<double> latencies_ms;
  LatencySummary summary;
  double throughput = 0;  // samples/s
  int64_t peak_rss_bytes = 0;
  int64_t rss_growth_bytes = 0;  // resident memory after the loop minus before the first inference
  std::optional<OutputComparison> vs_script;  // non-script modes
};

struct InferReport {
  ResolvedModel model;
  InferOptions options;
  std::vector<int64_t> sample_shape;
  uint64_t seed = 0;
  std::optional<int64_t> process_start_ns;  // CLOCK_MONOTONIC, from /proc (10 ms resolution)
  PhaseLog phases;
  RuntimeSnapshot snapshot;
  std::vector<CombinationResult> results;
  ReferenceCheck reference;
  std::vector<std::string> accuracy_failures;  // empty: every check passed or was skipped
  int64_t peak_rss_bytes = 0;
  std::vector<ModeExplanation> explanations;  // one per mode, after everything timed (explain.hpp)

  bool accuracy_ok() const { return accuracy_failures.empty(); }
};

// `runtime_ready_ns` is when main emitted runtime_ready. Errors are input
// problems (exit 2); accuracy failures are in the report, not errors.
Expected<InferReport> run_infer(const InferOptions& options, const ResolvedModel& model,
                                int64_t runtime_ready_ns);

}  // namespace coldbench::workload
