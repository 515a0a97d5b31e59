#include "torch/infer/accuracy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace coldbench::workload {
namespace {

TEST(CompareOutputs, IdenticalVectors) {
  std::vector<float> a{0.5f, -1.0f, 2.0f};
  OutputComparison c = compare_outputs(a, a);
  EXPECT_TRUE(c.comparable);
  EXPECT_NEAR(c.cosine, 1.0, 1e-12);
  EXPECT_EQ(c.max_abs_diff, 0.0);
  EXPECT_EQ(c.max_abs_reference, 2.0);
  EXPECT_TRUE(c.within(1e-6));
}

TEST(CompareOutputs, SmallAndLargeDifferences) {
  std::vector<float> ref{1.0f, 2.0f, 3.0f};
  std::vector<float> near{1.0f, 2.0005f, 3.0f};
  OutputComparison c = compare_outputs(ref, near);
  EXPECT_NEAR(c.max_abs_diff, 0.0005, 1e-6);
  EXPECT_TRUE(c.within(1e-3));   // allowed 1e-3 * max(1, 3) = 3e-3
  EXPECT_FALSE(c.within(1e-4));  // allowed 3e-4
  std::vector<float> opposite{-1.0f, -2.0f, -3.0f};
  OutputComparison o = compare_outputs(ref, opposite);
  EXPECT_NEAR(o.cosine, -1.0, 1e-12);
  EXPECT_FALSE(o.within(0.5));
}

TEST(CompareOutputs, MismatchedSizesAreNotComparable) {
  OutputComparison c = compare_outputs({1.0f, 2.0f}, {1.0f});
  EXPECT_FALSE(c.comparable);
  EXPECT_FALSE(c.within(0.9));
}

TEST(CompareOutputs, NonFiniteFails) {
  std::vector<float> ref{1.0f, 2.0f};
  std::vector<float> bad{1.0f, std::numeric_limits<float>::quiet_NaN()};
  OutputComparison c = compare_outputs(ref, bad);
  EXPECT_FALSE(c.within(0.5));
}

TEST(CompareOutputs, AllZerosMatch) {
  OutputComparison c = compare_outputs({0.0f, 0.0f}, {0.0f, 0.0f});
  EXPECT_EQ(c.cosine, 1.0);
  EXPECT_TRUE(c.within(1e-6));
}

ReferenceOutput reference_of(std::vector<double> values) {
  ReferenceOutput ref;
  ref.shape = {1, static_cast<int64_t>(values.size())};
  ref.numel = static_cast<int64_t>(values.size());
  for (double v : values) {
    ref.sum += v;
    ref.abs_sum += std::abs(v);
    ref.max_abs = std::max(ref.max_abs, std::abs(v));
  }
  ref.values = std::move(values);
  return ref;
}

TEST(CheckReference, PassesOnSampleZeroOfABatch) {
  ReferenceOutput ref = reference_of({0.1, -0.2, 0.3});
  OutputValues out{{2, 3}, {0.1f, -0.2f, 0.3f, 9.0f, 9.0f, 9.0f}};  // sample 1 is ignored
  ReferenceCheck check = check_reference(ref, out, 2, 1e-3);
  EXPECT_EQ(check.status, ReferenceCheck::Status::kPassed) << check.detail;
}

TEST(CheckReference, FailsBeyondToleranceWithNumbers) {
  ReferenceOutput ref = reference_of({0.1, -0.2, 0.3});
  OutputValues out{{1, 3}, {0.1f, -0.2f, 0.35f}};
  ReferenceCheck check = check_reference(ref, out, 1, 1e-3);
  EXPECT_EQ(check.status, ReferenceCheck::Status::kFailed);
  EXPECT_NE(check.detail.find("max abs diff"), std::string::npos);
}

TEST(CheckReference, FailsOnShapeMismatch) {
  ReferenceOutput ref = reference_of({0.1, -0.2, 0.3});
  OutputValues out{{1, 4}, {0.1f, -0.2f, 0.3f, 0.0f}};
  ReferenceCheck check = check_reference(ref, out, 1, 1e-3);
  EXPECT_EQ(check.status, ReferenceCheck::Status::kFailed);
  EXPECT_NE(check.detail.find("shape"), std::string::npos);
}

TEST(CheckReference, LeadingValuesOnlyUsesTheSum) {
  // A large output stores only its first values; the sum covers the rest.
  ReferenceOutput ref = reference_of({1.0, 2.0, 3.0, 4.0});
  ref.values.resize(2);
  OutputValues good{{1, 4}, {1.0f, 2.0f, 3.0f, 4.0f}};
  EXPECT_EQ(check_reference(ref, good, 1, 1e-3).status, ReferenceCheck::Status::kPassed);
  OutputValues tail_off{{1, 4}, {1.0f, 2.0f, 3.0f, 5.0f}};
  EXPECT_EQ(check_reference(ref, tail_off, 1, 1e-3).status, ReferenceCheck::Status::kFailed);
}

}  // namespace
}  // namespace coldbench::workload
