#include "core/expected.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace coldbench {
namespace {

Expected<int> parse_digit(char c) {
  if (c < '0' || c > '9') return make_error("'{}' is not a digit", c);
  return c - '0';
}

TEST(CoreExpected, HoldsAValue) {
  auto d = parse_digit('7');
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(static_cast<bool>(d));
  EXPECT_EQ(*d, 7);
  EXPECT_EQ(d.value(), 7);
  *d = 8;
  EXPECT_EQ(d.value(), 8);
}

TEST(CoreExpected, HoldsAnErrorWithTheUsageExitCodeByDefault) {
  auto d = parse_digit('x');
  ASSERT_FALSE(d.ok());
  EXPECT_FALSE(static_cast<bool>(d));
  EXPECT_EQ(d.error().message, "'x' is not a digit");
  EXPECT_EQ(d.error().exit_code, kExitUsage);
}

TEST(CoreExpected, KeepsACustomExitCode) {
  Expected<std::string> e = Error{"two runs failed", kExitFailedRuns};
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().exit_code, kExitFailedRuns);
  EXPECT_EQ(e.error().message, "two runs failed");
}

// Adding context used to build a new Error, which reset the code to 2: an
// interrupt (130) became a usage error on its way up.
TEST(CoreExpected, ContextKeepsTheExitCode) {
  const Error interrupted{"interrupted during file discovery", kExitInterrupted};
  const Error wrapped = interrupted.with_context("command 'a'").with_context("config 'b'");
  EXPECT_EQ(wrapped.message, "config 'b': command 'a': interrupted during file discovery");
  EXPECT_EQ(wrapped.exit_code, kExitInterrupted);
  EXPECT_EQ(interrupted.message, "interrupted during file discovery");  // the original is unchanged
}

TEST(CoreExpected, MovesTheValueOut) {
  Expected<std::unique_ptr<int>> p = std::make_unique<int>(5);
  ASSERT_TRUE(p.ok());
  std::unique_ptr<int> owned = std::move(p).value();
  ASSERT_TRUE(owned);
  EXPECT_EQ(*owned, 5);
}

TEST(CoreExpected, ArrowReachesMembers) {
  Expected<std::string> s = std::string("abc");
  EXPECT_EQ(s->size(), 3u);
  const Expected<std::string>& cs = s;
  EXPECT_EQ(cs->front(), 'a');
}

TEST(CoreExpected, VoidIsOkByDefaultAndCarriesAnError) {
  Expected<void> fine;
  EXPECT_TRUE(fine.ok());
  EXPECT_TRUE(static_cast<bool>(fine));
  Expected<void> bad = make_error("disk {} full", "/tmp");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "disk /tmp full");
  EXPECT_EQ(bad.error().exit_code, kExitUsage);
}

TEST(CoreExpected, ExitCodesMatchTheCliContract) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFailedRuns, 1);
  EXPECT_EQ(kExitUsage, 2);
  EXPECT_EQ(kExitInterrupted, 130);
}

}  // namespace
}  // namespace coldbench
