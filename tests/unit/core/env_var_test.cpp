#include "core/env_var.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace coldbench {
namespace {

using ::testing::HasSubstr;

TEST(CoreEnvVar, OrdinaryNamesAndValuesPass) {
  EXPECT_TRUE(check_env_var("OMP_NUM_THREADS", "2").ok());
  EXPECT_TRUE(check_env_var("X", "").ok());
  EXPECT_TRUE(check_env_var("X", "a=b").ok());  // '=' belongs in values
}

// Audit: env keys containing NUL or '=' were accepted.
TEST(CoreEnvVar, NameWithEqualsNulOrNothingIsRefused) {
  auto equals = check_env_var("A=B", "1");
  ASSERT_FALSE(equals.ok());
  EXPECT_THAT(equals.error().message, HasSubstr("'A=B' contains '='"));
  auto nul = check_env_var(std::string("A\0B", 3), "1");
  ASSERT_FALSE(nul.ok());
  EXPECT_THAT(nul.error().message, HasSubstr("'A\\0B' contains a NUL byte"));
  EXPECT_FALSE(check_env_var("", "1").ok());
}

TEST(CoreEnvVar, ValueWithNulIsRefused) {
  auto nul = check_env_var("MODE", std::string("a\0b", 3));
  ASSERT_FALSE(nul.ok());
  EXPECT_THAT(nul.error().message, HasSubstr("MODE: its value 'a\\0b' contains a NUL byte"));
}

}  // namespace
}  // namespace coldbench
