#include "torch/infer/accuracy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "torch/infer/options.hpp"

namespace coldbench::workload {

bool OutputComparison::within(double tolerance) const {
  return comparable && max_abs_diff <= tolerance * std::max(1.0, max_abs_reference) &&
         cosine >= 1.0 - tolerance;
}

OutputComparison compare_outputs(const std::vector<float>& reference,
                                 const std::vector<float>& candidate) {
  OutputComparison result;
  if (reference.size() != candidate.size() || reference.empty()) return result;
  result.comparable = true;
  double dot = 0, norm_ref = 0, norm_cand = 0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    double r = reference[i], c = candidate[i];
    if (!std::isfinite(c) || !std::isfinite(r)) {
      result.max_abs_diff = std::numeric_limits<double>::infinity();
      result.cosine = 0;
      return result;
    }
    dot += r * c;
    norm_ref += r * r;
    norm_cand += c * c;
    result.max_abs_diff = std::max(result.max_abs_diff, std::abs(r - c));
    result.max_abs_reference = std::max(result.max_abs_reference, std::abs(r));
  }
  if (norm_ref == 0 && norm_cand == 0) {
    result.cosine = 1;
  } else if (norm_ref == 0 || norm_cand == 0) {
    result.cosine = 0;
  } else {
    result.cosine = dot / (std::sqrt(norm_ref) * std::sqrt(norm_cand));
  }
  return result;
}

ReferenceCheck check_reference(const ReferenceOutput& reference, const OutputValues& output,
                               int64_t batch_size, double tolerance) {
  ReferenceCheck check;
  std::vector<int64_t> expected_shape = reference.shape;
  if (!expected_shape.empty()) expected_shape[0] = batch_size;
  if (output.shape != expected_shape) {
    check.status = ReferenceCheck::Status::kFailed;
    check.detail =
        fmt::format("output shape {} differs from the reference's {} (at batch {})",
                    format_shape(output.shape), format_shape(expected_shape), batch_size);
    return check;
  }
  auto per_sample = static_cast<std::size_t>(reference.numel);
  if (per_sample == 0 || output.values.size() < per_sample ||
      reference.values.size() > per_sample) {
    check.detail = "the reference does not describe this output";
    return check;
  }
  std::vector<float> expected(reference.values.begin(), reference.values.end());
  std::vector<float> leading(output.values.begin(), output.values.begin() + expected.size());
  check.comparison = compare_outputs(expected, leading);
  // The comparison's scale is the whole output's, not only the stored values'.
  check.comparison.max_abs_reference =
      std::max(check.comparison.max_abs_reference, reference.max_abs);
  double sum = 0;
  for (std::size_t i = 0; i < per_sample; ++i) sum += output.values[i];
  check.sum_diff = std::abs(sum - reference.sum);
  bool sum_ok = check.sum_diff <= tolerance * std::max(1.0, reference.abs_sum);
  if (check.comparison.within(tolerance) && sum_ok) {
    check.status = ReferenceCheck::Status::kPassed;
  } else {
    check.status = ReferenceCheck::Status::kFailed;
    check.detail = fmt::format(
        "max abs diff {:.3g} over the first {} values (allowed {:.3g}), cosine {:.6f}, sum off by "
        "{:.3g} (allowed {:.3g})",
        check.comparison.max_abs_diff, expected.size(),
        tolerance * std::max(1.0, check.comparison.max_abs_reference), check.comparison.cosine,
        check.sum_diff, tolerance * std::max(1.0, reference.abs_sum));
  }
  return check;
}

const char* status_name(ReferenceCheck::Status status) {
  switch (status) {
    case ReferenceCheck::Status::kPassed:
      return "passed";
    case ReferenceCheck::Status::kFailed:
      return "failed";
    case ReferenceCheck::Status::kSkipped:
      return "skipped";
  }
  return "?";
}

}  // namespace coldbench::workload
