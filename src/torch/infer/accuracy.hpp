#pragma once
// Accuracy checks of a model's output, free of LibTorch: mode vs script mode
// (cosine similarity, max abs diff) and run vs the sidecar's reference.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "torch/common/model.hpp"
#include "torch/common/model_catalog.hpp"

namespace coldbench::workload {

struct OutputComparison {
  bool comparable = false;  // same number of values
  double cosine = 0;        // 1 for identical directions; 1 when both are all zero
  double max_abs_diff = 0;
  double max_abs_reference = 0;
  // Passes when max_abs_diff <= tolerance * max(1, max |reference|) and
  // cosine >= 1 - tolerance.
  bool within(double tolerance) const;
};

OutputComparison compare_outputs(const std::vector<float>& reference,
                                 const std::vector<float>& candidate);

// Sample 0 of `output` (batch dimension first) against the sidecar's
// reference, which was computed for the same seeded input at batch 1.
struct ReferenceCheck {
  enum class Status { kPassed, kFailed, kSkipped };
  Status status = Status::kSkipped;
  OutputComparison comparison;  // over the stored leading values
  double sum_diff = 0;          // |sum(sample 0) - reference sum|
  std::string detail;           // why it failed or was skipped
};

ReferenceCheck check_reference(const ReferenceOutput& reference, const OutputValues& output,
                               int64_t batch_size, double tolerance);

const char* status_name(ReferenceCheck::Status status);

}  // namespace coldbench::workload
