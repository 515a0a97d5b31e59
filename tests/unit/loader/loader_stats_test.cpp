#include "loader/loader_stats.hpp"

#include <gtest/gtest.h>

#include "core/record.hpp"
#include "loader/loader_hook.hpp"

namespace coldbench::loader {
namespace {

// glibc 2.36's LD_DEBUG=statistics,files output, abridged from a real run.
constexpr const char* kReport =
    "     15101:\tfile=libfmt.so.9 [0];  needed by ./coldbench-torch [0]\n"
    "     15101:\tfile=libfmt.so.9 [0];  generating link map\n"
    "     15101:\t  dynamic: 0x00007f65ebaa7d80  base: 0x00007f65eba89000   size: 0x000000000001f260\n"
    "     15101:\tfile=libtorch_cpu.so.1.13 [0];  generating link map\n"
    "     15101:\t\n"
    "     15101:\truntime linker statistics:\n"
    "     15101:\t  total startup time in dynamic loader: 128019116 cycles\n"
    "     15101:\t            time needed for relocation: 92840475 cycles (72.5%)\n"
    "     15101:\t                 number of relocations: 129047\n"
    "     15101:\t      number of relocations from cache: 123839\n"
    "     15101:\t        number of relative relocations: 565827\n"
    "     15101:\t           time needed to load objects: 33562132 cycles (26.2%)\n"
    "     15101:\tcalling init: /lib/x86_64-linux-gnu/libc.so.6\n"
    "     15101:\truntime linker statistics:\n"
    "     15101:\t           final number of relocations: 129576\n"
    "     15101:\tfinal number of relocations from cache: 123839\n";

TEST(LoaderStats, ParsesGlibcStatisticsAndCountsObjects) {
  const LoaderStats stats = parse_loader_debug(kReport);
  ASSERT_TRUE(stats.found());
  EXPECT_EQ(stats.objects, 2);
  EXPECT_EQ(stats.startup_cycles, 128019116);
  EXPECT_EQ(stats.relocation_cycles, 92840475);
  EXPECT_EQ(stats.load_cycles, 33562132);
  EXPECT_EQ(stats.relocations, 129047);
  EXPECT_EQ(stats.relative_relocations, 565827);
  EXPECT_EQ(stats.final_relocations, 129576);
}

TEST(LoaderStats, UnrelatedTextFindsNothing) {
  EXPECT_FALSE(parse_loader_debug("hello\nworld: 12\n  1: calling fini: x\n").found());
  EXPECT_FALSE(parse_loader_debug("").found());
}

TEST(LoaderStats, CyclesBecomeMillisecondsAtTheCountersRate) {
  RunRecord record;
  add_loader_info(parse_loader_debug(kReport), 2.0e9, record);
  EXPECT_EQ(record.info.at("loader.objects"), 2);
  EXPECT_NEAR(record.info.at("loader.startup_ms").get<double>(), 64.0095, 1e-3);
  EXPECT_EQ(record.info.at("loader.startup_cycles"), 128019116);
  RunRecord no_rate;
  add_loader_info(parse_loader_debug(kReport), std::nullopt, no_rate);
  EXPECT_EQ(no_rate.info.count("loader.startup_ms"), 0u);
  EXPECT_EQ(no_rate.info.count("loader.startup_cycles"), 1u);
}

TEST(LoaderStats, CounterRateIsPlausibleWhereMeasured) {
  if (auto hz = tsc_hz()) {
    EXPECT_GT(*hz, 1e8);   // 100 MHz
    EXPECT_LT(*hz, 1e10);  // 10 GHz
  } else {
    GTEST_SKIP() << "no time-stamp counter rate on this architecture";
  }
}

}  // namespace
}  // namespace coldbench::loader
