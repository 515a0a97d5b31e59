#include "core/units.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace coldbench {
namespace {

using ::testing::HasSubstr;

// --- parse_duration_seconds -------------------------------------------------

TEST(CoreUnits, DurationAcceptsEveryUnit) {
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("1.5"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("10s"), 10.0);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("500us"), 500e-6);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("2m"), 120.0);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("2min"), 120.0);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("1h"), 3600.0);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("1e3ms"), 1.0);
}

TEST(CoreUnits, DurationIgnoresCaseAndSurroundingSpace) {
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("  3S  "), 3.0);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("5MS"), 0.005);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("\t1H\n"), 3600.0);
}

TEST(CoreUnits, DurationRejectsZeroAndNegative) {
  for (const char* text : {"0", "0s", "0ms", "-1", "-5ms"}) {
    auto d = parse_duration_seconds(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_THAT(d.error().message, HasSubstr("greater than zero")) << text;
    EXPECT_EQ(d.error().exit_code, kExitUsage);
  }
}

TEST(CoreUnits, DurationRejectsGarbageWithAnExample) {
  for (const char* text : {"", "   ", "abc", "ms", "s5", "+5s", "inf", "nan", "1e999"}) {
    auto d = parse_duration_seconds(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_THAT(d.error().message, HasSubstr("is not a duration")) << text;
    EXPECT_THAT(d.error().message, HasSubstr("500ms")) << text;
  }
}

TEST(CoreUnits, DurationNamesAnUnknownUnit) {
  auto d = parse_duration_seconds("5x");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.error().message, HasSubstr("unknown duration unit 'x'"));
  EXPECT_THAT(d.error().message, HasSubstr("us, ms, s, m or h"));
  EXPECT_FALSE(parse_duration_seconds("5 s s").ok());
  EXPECT_FALSE(parse_duration_seconds("5sec").ok());
}

TEST(CoreUnits, DurationThatOverflowsIsAnError) {
  // 1e308 hours is infinite in seconds, and spawn turns a timeout into int64
  // nanoseconds: anything past ~290 years must be refused, not overflow.
  for (const char* text : {"1e308h", "1e300", "1e12s"}) {
    auto d = parse_duration_seconds(text);
    ASSERT_FALSE(d.ok()) << text << " -> " << *d;
    EXPECT_THAT(d.error().message, HasSubstr("too large")) << text;
  }
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("1000h"), 3.6e6);
}

// --- parse_size_bytes -------------------------------------------------------

TEST(CoreUnits, SizeAcceptsBinaryUnitsInEverySpelling) {
  constexpr int64_t kKi = 1024, kMi = kKi * 1024, kGi = kMi * 1024;
  EXPECT_EQ(*parse_size_bytes("1024"), 1024);
  EXPECT_EQ(*parse_size_bytes("1b"), 1);
  EXPECT_EQ(*parse_size_bytes("512k"), 512 * kKi);
  EXPECT_EQ(*parse_size_bytes("512K"), 512 * kKi);
  EXPECT_EQ(*parse_size_bytes("512KB"), 512 * kKi);
  EXPECT_EQ(*parse_size_bytes("512KiB"), 512 * kKi);
  EXPECT_EQ(*parse_size_bytes("64M"), 64 * kMi);
  EXPECT_EQ(*parse_size_bytes("64MB"), 64 * kMi);  // binary, as docker reads it
  EXPECT_EQ(*parse_size_bytes("64MiB"), 64 * kMi);
  EXPECT_EQ(*parse_size_bytes("64mib"), 64 * kMi);
  EXPECT_EQ(*parse_size_bytes("2G"), 2 * kGi);
  EXPECT_EQ(*parse_size_bytes("1.5G"), 3 * kGi / 2);
  EXPECT_EQ(*parse_size_bytes("1T"), 1024 * kGi);
  EXPECT_EQ(*parse_size_bytes(" 8m "), 8 * kMi);
}

TEST(CoreUnits, SizeRejectsZeroNegativeAndGarbage) {
  for (const char* text : {"0", "0M", "-1", "-64M"}) {
    auto s = parse_size_bytes(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_THAT(s.error().message, HasSubstr("greater than zero")) << text;
  }
  for (const char* text : {"", "M", "lots", "inf"}) {
    auto s = parse_size_bytes(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_THAT(s.error().message, HasSubstr("is not a size")) << text;
    EXPECT_THAT(s.error().message, HasSubstr("64M")) << text;
  }
  auto unit = parse_size_bytes("64X");
  ASSERT_FALSE(unit.ok());
  EXPECT_THAT(unit.error().message, HasSubstr("unknown size unit 'x'"));
  EXPECT_FALSE(parse_size_bytes("64MiBs").ok());
}

TEST(CoreUnits, SizeThatRoundsToZeroBytesIsAnError) {
  // "Must be > 0": 0.4 bytes rounds to 0 and must not be accepted as a limit.
  auto s = parse_size_bytes("0.4");
  ASSERT_FALSE(s.ok()) << *s;
  EXPECT_THAT(s.error().message, HasSubstr("greater than zero"));
}

TEST(CoreUnits, SizeThatOverflowsInt64IsAnError) {
  // llround of an out-of-range value is unspecified (LLONG_MIN on x86): it
  // must not come back as a negative "size".
  for (const char* text : {"1e30", "1e7T", "9.3e18"}) {
    auto s = parse_size_bytes(text);
    ASSERT_FALSE(s.ok()) << text << " -> " << *s;
    EXPECT_THAT(s.error().message, HasSubstr("too large")) << text;
  }
}

// --- parse_percentage -------------------------------------------------------

TEST(CoreUnits, PercentageForms) {
  EXPECT_DOUBLE_EQ(*parse_percentage("5%"), 0.05);
  EXPECT_DOUBLE_EQ(*parse_percentage("5"), 0.05);
  EXPECT_DOUBLE_EQ(*parse_percentage("0.5%"), 0.005);
  EXPECT_DOUBLE_EQ(*parse_percentage("0"), 0.0);
  EXPECT_DOUBLE_EQ(*parse_percentage("150%"), 1.5);
}

TEST(CoreUnits, PercentageRejectsAmbiguousNegativeAndGarbage) {
  auto ambiguous = parse_percentage("0.05");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_THAT(ambiguous.error().message, HasSubstr("ambiguous"));
  auto negative = parse_percentage("-5%");
  ASSERT_FALSE(negative.ok());
  EXPECT_THAT(negative.error().message, HasSubstr("negative"));
  for (const char* text : {"", "%", "five", "5 %%", "5ms"}) {
    auto p = parse_percentage(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_THAT(p.error().message, HasSubstr("not a percentage")) << text;
  }
}

// --- format_ms / format_bytes -----------------------------------------------

TEST(CoreUnits, FormatMsPicksTheUnitAndDigits) {
  EXPECT_EQ(format_ms(0.812), "812 µs");
  EXPECT_EQ(format_ms(1.0), "1.000 ms");
  EXPECT_EQ(format_ms(9.5), "9.500 ms");
  EXPECT_EQ(format_ms(10.0), "10.00 ms");
  EXPECT_EQ(format_ms(45.6), "45.60 ms");
  EXPECT_EQ(format_ms(100.0), "100.0 ms");
  EXPECT_EQ(format_ms(999.9), "999.9 ms");
  EXPECT_EQ(format_ms(1000.0), "1.000 s");
  EXPECT_EQ(format_ms(1234.0), "1.234 s");
  EXPECT_EQ(format_ms(-45.6), "-45.60 ms");
  EXPECT_EQ(format_ms(0.0), "0 µs");
}

TEST(CoreUnits, FormatMsNonFiniteIsNotAvailable) {
  EXPECT_EQ(format_ms(std::numeric_limits<double>::quiet_NaN()), "n/a");
  EXPECT_EQ(format_ms(std::numeric_limits<double>::infinity()), "n/a");
}

TEST(CoreUnits, FormatMsRoundingNeverAddsADigit) {
  // Values just below a boundary round up into the next unit's range; they
  // must be printed like the boundary itself (3-4 significant digits).
  EXPECT_EQ(format_ms(0.9999), "1.000 ms");  // not "1000 µs"
  EXPECT_EQ(format_ms(9.9999), "10.00 ms");  // not "10.000 ms"
  EXPECT_EQ(format_ms(99.999), "100.0 ms");  // not "100.00 ms"
  EXPECT_EQ(format_ms(999.99), "1.000 s");   // not "1000.0 ms"
  EXPECT_EQ(format_ms(-999.99), "-1.000 s");
}

TEST(CoreUnits, FormatBytesBoundaries) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(812), "812 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.00 KiB");
  EXPECT_EQ(format_bytes(45.6 * 1024), "45.6 KiB");
  EXPECT_EQ(format_bytes(312.0 * 1024 * 1024), "312 MiB");
  EXPECT_EQ(format_bytes(1.23 * 1024 * 1024 * 1024), "1.23 GiB");
  EXPECT_EQ(format_bytes(2.0 * 1024 * 1024 * 1024 * 1024), "2.00 TiB");
  EXPECT_EQ(format_bytes(2048.0 * 1024 * 1024 * 1024 * 1024), "2048 TiB");  // no unit above TiB
  EXPECT_EQ(format_bytes(-2048), "-2.00 KiB");
}

TEST(CoreUnits, FormatBytesRoundingNeverShowsAFullUnit) {
  EXPECT_EQ(format_bytes(1023.9), "1.00 KiB");             // not "1024 B"
  EXPECT_EQ(format_bytes(1024.0 * 1024 - 1), "1.00 MiB");  // not "1024 KiB"
  EXPECT_EQ(format_bytes(9.999 * 1024), "10.0 KiB");       // not "10.00 KiB"
  EXPECT_EQ(format_bytes(99.97 * 1024), "100 KiB");        // not "100.0 KiB"
}

}  // namespace
}  // namespace coldbench
