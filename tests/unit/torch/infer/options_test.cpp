#include "torch/infer/options.hpp"

#include <gtest/gtest.h>

namespace coldbench::workload {
namespace {

TEST(ParseModes, SingleModesAndAll) {
  EXPECT_EQ(*parse_modes("script"), std::vector<Mode>{Mode::kScript});
  EXPECT_EQ(*parse_modes("optimized"), std::vector<Mode>{Mode::kOptimized});
  EXPECT_EQ(*parse_modes("all"),
            (std::vector<Mode>{Mode::kScript, Mode::kFrozen, Mode::kOptimized}));
}

TEST(ParseModes, ListIsCanonicalOrderWithoutDuplicates) {
  EXPECT_EQ(*parse_modes("optimized,script,optimized"),
            (std::vector<Mode>{Mode::kScript, Mode::kOptimized}));
  EXPECT_EQ(*parse_modes(" frozen , script "), (std::vector<Mode>{Mode::kScript, Mode::kFrozen}));
}

TEST(ParseModes, UnknownModeNamesItAndTheFix) {
  auto modes = parse_modes("script,fast");
  ASSERT_FALSE(modes.ok());
  EXPECT_NE(modes.error().message.find("'fast'"), std::string::npos);
  EXPECT_NE(modes.error().message.find("script, frozen, optimized or all"), std::string::npos);
  EXPECT_EQ(modes.error().exit_code, kExitUsage);
  EXPECT_FALSE(parse_modes("").ok());
}

TEST(ParseBatchSizes, AcceptsPositiveList) {
  EXPECT_EQ(*parse_batch_sizes("1,4,8"), (std::vector<int64_t>{1, 4, 8}));
  EXPECT_EQ(*parse_batch_sizes("16"), (std::vector<int64_t>{16}));
}

TEST(ParseBatchSizes, RejectsZeroNegativeGarbageAndDuplicates) {
  for (const char* bad : {"0", "1,0", "-4", "1,,2", "abc", "2.5", "4,4", ""}) {
    EXPECT_FALSE(parse_batch_sizes(bad).ok()) << bad;
  }
}

TEST(ParseShape, AcceptsCommaXAndBrackets) {
  std::vector<int64_t> expected{3, 224, 224};
  EXPECT_EQ(*parse_shape("3,224,224"), expected);
  EXPECT_EQ(*parse_shape("3x224x224"), expected);
  EXPECT_EQ(*parse_shape("[3, 224, 224]"), expected);
  EXPECT_EQ(*parse_shape("128"), std::vector<int64_t>{128});
}

TEST(ParseShape, RejectsNonPositiveDimensions) {
  for (const char* bad : {"3,0,224", "3,-1", "", "3,,4", "a,b"}) {
    auto shape = parse_shape(bad);
    ASSERT_FALSE(shape.ok()) << bad;
    EXPECT_NE(shape.error().message.find("--input-shape"), std::string::npos);
  }
}

TEST(FormatShape, Brackets) {
  EXPECT_EQ(format_shape({1, 3, 224, 224}), "[1, 3, 224, 224]");
}

TEST(Validate, Defaults) {
  auto options = validate(RawInferArgs{});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->model, "mobilenet_v2");
  EXPECT_EQ(options->modes, std::vector<Mode>{Mode::kScript});
  EXPECT_EQ(options->batch_sizes, std::vector<int64_t>{1});
  EXPECT_EQ(options->iters, 100);
  EXPECT_EQ(options->warmup, 10);
  EXPECT_TRUE(options->inference_mode);
  EXPECT_FALSE(options->duration_s.has_value());
  EXPECT_FALSE(options->seed.has_value());
}

TEST(Validate, RejectsZeroAndNegativeCounts) {
  auto expect_error = [](RawInferArgs raw, const char* flag) {
    auto options = validate(raw);
    ASSERT_FALSE(options.ok()) << flag;
    EXPECT_NE(options.error().message.find(flag), std::string::npos) << options.error().message;
    EXPECT_EQ(options.error().exit_code, kExitUsage);
  };
  RawInferArgs raw;
  raw.iters = 0;
  expect_error(raw, "--iters");
  raw = {};
  raw.iters = -5;
  expect_error(raw, "--iters");
  raw = {};
  raw.warmup = -1;
  expect_error(raw, "--warmup");
  raw = {};
  raw.batch_size = 0;
  expect_error(raw, "--batch-size");
  raw = {};
  raw.batch_size = -2;
  expect_error(raw, "--batch-size");
  raw = {};
  raw.threads = -1;
  expect_error(raw, "--threads");
  raw = {};
  raw.interop_threads = -3;
  expect_error(raw, "--interop-threads");
  raw = {};
  raw.duration_s = 0.0;
  expect_error(raw, "--duration");
  raw = {};
  raw.tolerance = 0;
  expect_error(raw, "--tolerance");
  raw = {};
  raw.seed = -1;
  expect_error(raw, "--seed");
}

// Audit: `--batch-size 100000000` said "must be a positive integer".
TEST(Validate, TooLargeCountsSayTheLimitTheyExceed) {
  auto message = [](const RawInferArgs& raw) {
    auto options = validate(raw);
    EXPECT_FALSE(options.ok());
    return options.ok() ? std::string() : options.error().message;
  };
  RawInferArgs raw;
  raw.batch_size = 100'000'000;
  EXPECT_EQ(message(raw),
            "--batch-size 100000000 is larger than 1000000, the most a dimension may be. fix: use a smaller batch");
  raw = {};
  raw.batch_sizes = "1,100000000";
  EXPECT_NE(message(raw).find("batch size 100000000 is larger than 1000000"), std::string::npos);
  raw = {};
  raw.iters = 1'000'000'000;
  EXPECT_EQ(message(raw), "--iters must be 1 to 100000000, got 1000000000");
  raw = {};
  raw.threads = 5000;
  EXPECT_EQ(message(raw), "--threads must be 0 (LibTorch's default) to 4096, got 5000");
}

TEST(Validate, WarmupZeroIsAllowed) {
  RawInferArgs raw;
  raw.warmup = 0;
  ASSERT_TRUE(validate(raw).ok());
}

TEST(Validate, ConflictingOptions) {
  RawInferArgs raw;
  raw.batch_size = 2;
  raw.batch_sizes = "1,4";
  EXPECT_FALSE(validate(raw).ok());
  raw = {};
  raw.iters_given = true;
  raw.duration_s = 1.5;
  EXPECT_FALSE(validate(raw).ok());
}

TEST(Validate, DurationReplacesIters) {
  RawInferArgs raw;
  raw.duration_s = 2.0;
  auto options = validate(raw);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(*options->duration_s, 2.0);
}

TEST(Combinations, EveryBatchOfAModeBeforeTheNextMode) {
  RawInferArgs raw;
  raw.mode = "all";
  raw.batch_sizes = "1,4";
  auto options = validate(raw);
  ASSERT_TRUE(options.ok());
  auto list = combinations(*options);
  ASSERT_EQ(list.size(), 6u);
  EXPECT_EQ(list[0].mode, Mode::kScript);
  EXPECT_EQ(list[0].batch_size, 1);
  EXPECT_EQ(list[1].mode, Mode::kScript);
  EXPECT_EQ(list[1].batch_size, 4);
  EXPECT_EQ(list[5].mode, Mode::kOptimized);
  EXPECT_EQ(list[5].batch_size, 4);
}

}  // namespace
}  // namespace coldbench::workload
