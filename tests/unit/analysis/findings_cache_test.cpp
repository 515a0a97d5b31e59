// The page-cache findings (findings_cache.cpp) on synthetic records: what a
// cold start read and the gap to the disk's floor, prefetch recovery, files
// left resident, and --attribute's per-group costs.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <random>

#include "analysis/findings.hpp"
#include "analysis/summary.hpp"

namespace coldbench::analysis {
namespace {

constexpr int64_t kMiB = 1 << 20;

struct Config {
  std::string name;
  std::string cache;
  double ready_ms;  // runtime_ready's median
};

// `runs` runs per config, interleaved; runtime_ready at the config's level with 2% jitter.
ResultsDocument session(
    const std::vector<Config>& configs, int runs,
    const std::function<void(RunRecord&, const Config&, int)>& shape = nullptr) {
  ResultsDocument doc;
  doc.host.online_cpus = 4;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> jitter(0.98, 1.02);
  for (const auto& c : configs) doc.commands.push_back({c.name, "infer", {"infer"}, false});
  int sequence = 0;
  for (int i = 0; i < runs; ++i) {
    for (std::size_t k = 0; k < configs.size(); ++k) {
      RunRecord run;
      run.command = configs[k].name;
      run.command_index = int(k);
      run.index = i;
      run.sequence = sequence++;
      const double ready = configs[k].ready_ms * jitter(rng);
      run.phases = {{"runtime_ready", ready, ready}};
      run.wall_ms = ready + 200;
      run.residency = ResidencySnapshot{configs[k].cache, 2, 200 * kMiB, 0, {}};
      if (shape) shape(run, configs[k], i);
      doc.runs.push_back(std::move(run));
    }
  }
  return doc;
}

CacheReads reads_of(int64_t torch, int64_t python) {
  CacheReads reads;
  reads.top = {FileRead{"/usr/lib/libtorch_cpu.so", 150 * kMiB, 0, torch},
               FileRead{"/usr/lib/libpython3.so", 10 * kMiB, 0, python}};
  reads.read_bytes = torch + python;
  reads.files_read = 2;
  return reads;
}

std::vector<Finding> with_id(const std::vector<Finding>& findings, const std::string& id) {
  std::vector<Finding> out;
  for (const auto& f : findings) {
    if (f.id == id) out.push_back(f);
  }
  return out;
}

TEST(ColdReadsFinding, NamesTheBytesTheTopFilesAndTheGapToTheFloor) {
  // cold: 1000 ms more than warm, 120 MiB read; the floor reads 120 MiB in 250 ms (480 MiB/s).
  auto doc = session({{"warm", "warm", 500}, {"cold", "cold", 1500}}, 8,
                     [](RunRecord& run, const Config& c, int i) {
                       if (c.cache != "cold") return;
                       run.cache_reads = reads_of(100 * kMiB, 20 * kMiB);
                       if (i == 0) {
                         SequentialFloor floor;
                         floor.bytes = 120 * kMiB;
                         floor.ms = 250;
                         floor.method = "O_DIRECT pread";
                         run.cache_reads->floor = floor;
                       }
                     });
  const auto summary = summarize_session(doc);
  ASSERT_TRUE(summary.commands[1].cold_reads);
  EXPECT_FALSE(summary.commands[0].cold_reads);
  EXPECT_DOUBLE_EQ(summary.commands[1].cold_reads->read_bytes.summary.median, double(120 * kMiB));
  ASSERT_EQ(summary.commands[1].cold_reads->files.size(), 2u);
  EXPECT_EQ(summary.commands[1].cold_reads->files[0].path, "/usr/lib/libtorch_cpu.so");

  const auto reads = with_id(summary.findings, "cold_reads");
  ASSERT_EQ(reads.size(), 1u);
  const Finding& f = reads[0];
  EXPECT_EQ(f.subject, "cold");
  EXPECT_NE(f.sentence.find(
                "read 120 MiB per run (median of 8), 100 MiB of it from libtorch_cpu.so (83%)"),
            std::string::npos)
      << f.sentence;
  EXPECT_NE(f.sentence.find("in 250.0 ms"), std::string::npos) << f.sentence;
  // 120 MiB over a ~1000 ms penalty is 120 MiB/s against 480 MiB/s: about 25%.
  auto gap = std::find_if(f.evidence.begin(), f.evidence.end(), [](const FindingEvidence& e) {
    return e.name == "fault-driven rate / sequential rate";
  });
  ASSERT_NE(gap, f.evidence.end());
  EXPECT_NEAR(gap->value, 25.0, 2.0);
  EXPECT_NE(f.sentence.find("Fault-driven reads ran at 2"), std::string::npos) << f.sentence;
  EXPECT_FALSE(f.recommendation.empty());
}

TEST(ColdReadsFinding, WithoutAWarmPeerGivesALowerBoundOverTheWallTime) {
  auto doc = session({{"cold", "cold", 1500}}, 4, [](RunRecord& run, const Config&, int i) {
    run.cache_reads = reads_of(100 * kMiB, 20 * kMiB);
    if (i == 0) run.cache_reads->floor = SequentialFloor{120 * kMiB, 250, "O_DIRECT pread"};
  });
  const auto reads = with_id(summarize_session(doc).findings, "cold_reads");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_NE(reads[0].sentence.find("or more of that rate"), std::string::npos) << reads[0].sentence;
}

TEST(ColdReadsFinding, WarmSessionsHaveNone) {
  auto doc = session({{"a", "warm", 500}, {"b", "warm", 500}}, 5);
  EXPECT_TRUE(with_id(summarize_session(doc).findings, "cold_reads").empty());
  EXPECT_TRUE(with_id(summarize_session(doc).findings, "pages_left_resident").empty());
}

TEST(PagesLeftResidentFinding, NamesTheMappingProcesses) {
  auto doc = session({{"cold", "cold", 1500}}, 3, [](RunRecord& run, const Config&, int) {
    run.cache_reads = reads_of(10 * kMiB, 0);
    run.cache_reads->left_resident = {LeftResident{
        "/usr/lib/libtorch_cpu.so", 100 * kMiB, 32 * kMiB, {{20555, "python3 serve.py"}}}};
  });
  const auto left = with_id(summarize_session(doc).findings, "pages_left_resident");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(
      left[0].sentence.rfind(
          "32% of libtorch_cpu.so stays resident after eviction in 'cold' runs: mapped by pid "
          "20555 (python3 serve.py)",
          0),
      0u)
      << left[0].sentence;
}

TEST(PrefetchRecoveryFinding, IsTheShareOfTheColdPenaltyWithBounds) {
  // cold 1500, cold+prefetch 800, warm 500: (1500 - 800) / (1500 - 500) = 70%.
  auto doc = session(
      {{"cold", "cold", 1500}, {"prefetch", "cold+prefetch", 800}, {"warm", "warm", 500}}, 10);
  const auto recovery = with_id(summarize_session(doc).findings, "prefetch_recovery");
  ASSERT_EQ(recovery.size(), 1u);
  const Finding& f = recovery[0];
  EXPECT_NEAR(f.effect, 0.70, 0.03);
  EXPECT_EQ(f.verdict, FindingVerdict::Shown);
  ASSERT_TRUE(f.effect_ci.valid());
  EXPECT_LT(f.effect_ci.low, f.effect);
  EXPECT_GT(f.effect_ci.high, f.effect);
  EXPECT_GE(f.effect_ci.level, 0.89);
  EXPECT_NE(f.sentence.find("Prefetch racing the start recovers 7"), std::string::npos)
      << f.sentence;
  EXPECT_EQ(f.baseline, "cold");
  EXPECT_EQ(f.candidate, "prefetch");
}

TEST(PrefetchRecoveryFinding, NeedsColdAndWarmPeers) {
  auto doc = session({{"cold", "cold", 1500}, {"prefetch", "cold+prefetch", 800}}, 6);
  EXPECT_TRUE(with_id(summarize_session(doc).findings, "prefetch_recovery").empty());
}

TEST(AttributionFinding, EachGroupAgainstWarmWithItsShareOfTheAllColdCost) {
  // One command whose runs rotate through the conditions: warm 500, libtorch cold 1300, rest cold
  // 600, all cold 1500.
  const std::vector<std::pair<std::string, double>> conditions = {
      {"cold: all", 1500},
      {"warm", 500},
      {"cold: libtorch_cpu.so", 1300},
      {"cold: the other 40 files", 600}};
  auto doc = session({{"mnv2", "cold", 1000}}, 24, [&](RunRecord& run, const Config&, int i) {
    const auto& [label, level] = conditions[std::size_t(i) % conditions.size()];
    run.labels["attribute"] = label;
    const double scale = level / 1000.0;
    run.phases[0].duration_ms *= scale;
    run.phases[0].end_ms *= scale;
  });
  const auto findings = with_id(summarize_session(doc).findings, "attribution");
  ASSERT_EQ(findings.size(), 3u);
  std::optional<Finding> torch;
  for (const auto& f : findings) {
    if (f.subject == "mnv2/cold: libtorch_cpu.so") torch = f;
  }
  ASSERT_TRUE(torch);
  EXPECT_EQ(torch->verdict, FindingVerdict::Shown);
  EXPECT_NEAR(torch->effect, 2.6, 0.15);
  EXPECT_NE(torch->sentence.find("With only libtorch_cpu.so cold, 'mnv2' pays"), std::string::npos)
      << torch->sentence;
  EXPECT_NE(torch->sentence.find("% of what all files cold cost"), std::string::npos)
      << torch->sentence;
  auto share =
      std::find_if(torch->evidence.begin(), torch->evidence.end(),
                   [](const FindingEvidence& e) { return e.name == "share of the all-cold cost"; });
  ASSERT_NE(share, torch->evidence.end());
  EXPECT_NEAR(share->value, 80.0, 6.0);
}

}  // namespace
}  // namespace coldbench::analysis
