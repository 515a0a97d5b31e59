#include "limits/limit_spec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace coldbench::limits {
namespace {

using ::testing::HasSubstr;

// Audit: `--memory 1k` was accepted and every run was then OOM-killed.
TEST(LimitsMemoryRule, BelowFourMebibytesIsRefusedWithTheMinimum) {
  auto tiny = check_memory_limit(1024);
  ASSERT_FALSE(tiny.ok());
  EXPECT_THAT(tiny.error().message, HasSubstr("impossible limit memory = 1024 bytes: use at least 4M"));
  EXPECT_FALSE(check_memory_limit(kMinMemoryBytes - 1).ok());
  EXPECT_FALSE(check_memory_limit(-1).ok());
  ASSERT_TRUE(check_memory_limit(kMinMemoryBytes).ok());
  EXPECT_EQ(*check_memory_limit(kMinMemoryBytes), 4 * 1024 * 1024);
}

}  // namespace
}  // namespace coldbench::limits
