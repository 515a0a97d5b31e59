#include "torch/common/units.hpp"

#include <gtest/gtest.h>

namespace coldbench::workload {
namespace {

// infer printed whole MiB and profile one decimal; both tables now use one.
TEST(FormatMib, OneDecimalForInferAndProfileAlike) {
  EXPECT_EQ(format_mib(0), "0.0 MiB");
  EXPECT_EQ(format_mib(1024 * 1024), "1.0 MiB");
  EXPECT_EQ(format_mib(int64_t(412) * 1024 * 1024 + 300 * 1024), "412.3 MiB");
}

}  // namespace
}  // namespace coldbench::workload
