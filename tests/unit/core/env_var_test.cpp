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

TEST(CoreEnvEntry, SplitsAtTheFirstEqualsAndNeedsAName) {
  auto entry = split_env_entry("A=b=c");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->name, "A");
  EXPECT_EQ(entry->value, "b=c");
  EXPECT_EQ(split_env_entry("A=")->value, "");
  EXPECT_FALSE(split_env_entry("=x").has_value());
  EXPECT_FALSE(split_env_entry("PATH").has_value());
  EXPECT_EQ(env_entry("K", "v=1"), "K=v=1");
}

TEST(CoreEnvEntry, FindSetUnsetMatchWholeNamesOnly) {
  std::vector<std::string> env = {"PATH=/bin", "PATHX=1", "OMP_NUM_THREADS=8"};
  ASSERT_NE(find_env_entry(env, "PATH"), nullptr);
  EXPECT_EQ(*find_env_entry(env, "PATH"), "PATH=/bin");
  EXPECT_EQ(find_env_entry(env, "PAT"), nullptr);
  set_env_entry(env, "OMP_NUM_THREADS", "2");
  set_env_entry(env, "NEW", "x");
  unset_env_entry(env, "PATH");
  EXPECT_EQ(env, (std::vector<std::string>{"PATHX=1", "OMP_NUM_THREADS=2", "NEW=x"}));
  EXPECT_TRUE(is_entry_for("A=", "A"));
  EXPECT_FALSE(is_entry_for("AB=1", "A"));
}

TEST(CoreEnvEntry, ThreadCountVariablesAreTheFirstThree) {
  auto counts = thread_count_variables();
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0], "OMP_NUM_THREADS");
  EXPECT_EQ(counts[1], "MKL_NUM_THREADS");
  EXPECT_EQ(counts[2], "OPENBLAS_NUM_THREADS");
  for (std::string_view name : counts) EXPECT_NE(name.find("NUM_THREADS"), std::string_view::npos);
}

}  // namespace
}  // namespace coldbench
