#include "sweep/experiment.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "../cache/temp_dir.hpp"

namespace coldbench::sweep {
namespace {

using ::testing::HasSubstr;

constexpr const char* kHeader = "[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true {a}\"\n";

std::string error_of(const std::string& text) {
  auto parsed = parse_experiment(text, "t.toml");
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? std::string() : parsed.error().message;
}

// Audit: 9 keys x 10 values was a std::bad_alloc abort while expanding.
TEST(SweepExperiment, MatrixOfNineKeysByTenValuesIsRefusedBeforeExpanding) {
  std::string text = "[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true";
  std::string matrix = "[matrix]\n";
  for (char key = 'a'; key < 'a' + 9; ++key) {
    text += std::string(" {") + key + "}";
    matrix += std::string(1, key) + " = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n";
  }
  std::string message = error_of(text + "\"\n" + matrix);
  EXPECT_THAT(message, HasSubstr("t.toml:"));
  EXPECT_THAT(message, HasSubstr("1 config x 10 (a) x 10 (b)"));
  EXPECT_THAT(message, HasSubstr("= 1000000000 configs, more than the 10000 one experiment may hold"));
}

TEST(SweepExperiment, MatrixProductThatOverflowsIsRefused) {
  std::string text = "[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true";
  std::string matrix = "[matrix]\n";
  std::string values = "[";
  for (int v = 0; v < 100; ++v) values += std::to_string(v) + (v < 99 ? ", " : "]");
  for (int key = 0; key < 12; ++key) {
    text += " {k" + std::to_string(key) + "}";
    matrix += "k" + std::to_string(key) + " = " + values + "\n";
  }
  EXPECT_THAT(error_of(text + "\"\n" + matrix), HasSubstr("= over 2^63 configs"));
}

TEST(SweepExperiment, TotalRunsAboveTheSessionCapAreRefused) {
  auto parsed = parse_experiment(
      "[experiment]\nname = \"x\"\nruns = 500000\n[defaults]\ncommand = \"true {a}\"\n[matrix]\na = [1, 2, 3]\n",
      "t.toml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message, HasSubstr("3 configs x (500000 runs + 0 warmup) = 1500000 runs"));
}

TEST(SweepExperiment, RunsAboveTheCapNameTheCap) {
  auto parsed = parse_experiment("[experiment]\nname = \"x\"\nruns = 2000000\n[defaults]\ncommand = \"true\"\n",
                                 "t.toml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message, HasSubstr("'runs' must be an integer >= 1 (and at most 1000000 per config)"));
}

// Audit: `sweep /dev/zero` read without a limit.
TEST(SweepExperiment, DevZeroIsRefusedAsNotARegularFile) {
  auto loaded = load_experiment("/dev/zero");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error().message, HasSubstr("experiment file '/dev/zero' is a character device"));
}

TEST(SweepExperiment, FifoIsRefusedWithoutWaitingForAWriter) {
  testing::TempDir dir;
  std::string fifo = dir.file("experiment.toml");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto loaded = load_experiment(fifo);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error().message, HasSubstr("is a pipe"));
}

TEST(SweepExperiment, FileLargerThanOneMebibyteIsRefused) {
  testing::TempDir dir;
  std::string comment = "# " + std::string(kMaxExperimentFileBytes, 'x') + "\n";
  std::string path = dir.write("big.toml", std::string(kHeader) + comment);
  auto loaded = load_experiment(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error().message, HasSubstr("is larger than 1024 KiB"));
  std::string fits = dir.write("ok.toml", "[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\n");
  EXPECT_TRUE(load_experiment(fits).ok());
}

TEST(SweepExperiment, DirectoryIsRefused) {
  testing::TempDir dir;
  auto loaded = load_experiment(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error().message, HasSubstr("is a directory"));
}

// Audit: `--memory 1k` passed while the TOML refused it: one rule now.
TEST(SweepExperiment, MemoryBelowFourMebibytesIsRefusedByTheSharedRule) {
  std::string message = error_of("[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\nmemory = \"1k\"\n");
  EXPECT_THAT(message, HasSubstr("t.toml:5:10: impossible limit memory = 1024 bytes: use at least 4M"));
}

TEST(SweepExperiment, NegativeSeedIsRefusedByTheSharedRule) {
  std::string message = error_of("[experiment]\nname = \"x\"\nseed = -1\n[defaults]\ncommand = \"true\"\n");
  EXPECT_THAT(message, HasSubstr("t.toml:3:8: seed -1 is negative"));
}

// Audit: env keys with '=' or NUL were accepted and silently became other variables.
TEST(SweepExperiment, EnvNameWithEqualsOrNulIsRefused) {
  EXPECT_THAT(error_of(std::string(kHeader) + "env = { \"A=B\" = \"1\" }\n[matrix]\na = [1]\n"),
              HasSubstr("contains '='"));
  EXPECT_THAT(error_of(std::string(kHeader) + "env = { \"A\\u0000B\" = \"1\" }\n[matrix]\na = [1]\n"),
              HasSubstr("name 'A\\0B' contains a NUL byte"));
  EXPECT_THAT(error_of(std::string(kHeader) + "env = { \"\" = \"1\" }\n[matrix]\na = [1]\n"),
              HasSubstr("needs a name"));
}

TEST(SweepExperiment, MatrixValueThatPutsANulIntoAnEnvValueIsRefused) {
  std::string text = "[experiment]\nname = \"x\"\n[defaults]\ncommand = \"true\"\nenv = { MODE = \"{m}\" }\n"
                     "[matrix]\nm = [\"a\\u0000b\"]\n";
  EXPECT_THAT(error_of(text), HasSubstr("config 'x/m=a"));
}

}  // namespace
}  // namespace coldbench::sweep
