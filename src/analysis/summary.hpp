#pragma once
// What every reporter prints, computed once from the run records: per command
// the phase, wall, process-stat and metric summaries, outliers and failures;
// across commands the comparisons against the first (baseline) command.
// report/ formats these (report/summary_json.hpp for JSON); nothing here prints.

#include <optional>
#include <utility>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/findings.hpp"
#include "analysis/oversubscription.hpp"
#include "core/record.hpp"
#include "noise/noise_rules.hpp"
#include "stats/comparison.hpp"
#include "stats/descriptive.hpp"
#include "stats/policy.hpp"

namespace coldbench::analysis {

struct Outlier {
  int run_index = 0;
  double value = 0;
  double z = 0;
};

struct SampleSummary {
  std::string name;  // phase or quantity name
  std::string unit;
  stats::Summary summary;
  std::vector<double> values;  // per measured run (metrics: pooled values)
  std::vector<Outlier> outliers;
  int runs = 0;  // runs that contributed
};

// A warning some runs carried (RunRecord::warnings), and how many did.
struct WarningNote {
  std::string text;
  int runs = 0;
};

struct FailureNote {
  int run_index = 0;
  bool warmup = false;
  std::string error;
  std::string output_tail;
};

// One tracked file's share of a cold start's reads: the median over the
// measured runs of the bytes it gained (0 in a run where it was not among the
// ten files that gained most).
struct FileReadShare {
  std::string path;
  int64_t size_bytes = 0;
  double median_read_bytes = 0;
};

// What cold runs read into the page cache (RunRecord::cache_reads), per command.
struct ColdReadsSummary {
  SampleSummary read_bytes;            // per measured run
  std::vector<FileReadShare> files;    // most first
  std::optional<SequentialFloor> floor;
  std::optional<SampleSummary> prefetched_bytes;  // cold+prefetch
  int prefetch_completed_runs = 0;
  std::vector<LeftResident> left_resident;  // the latest measured run's
};

// "fault-driven reads ran at 45% of the disk's sequential rate": `read_bytes`
// over the time they took (`read_ms`: a cold penalty, or a whole wall time for
// a lower bound), against the floor's rate. NaN when anything is missing.
double fault_read_rate_fraction(double read_bytes, double read_ms, const std::optional<SequentialFloor>& floor);

struct CommandSummary {
  std::string name;
  std::string command_text;
  int measured_runs = 0;
  int succeeded_runs = 0;
  int failed_runs = 0;  // measured runs only
  int malformed_markers = 0;
  std::vector<WarningNote> warnings;  // distinct, in the order first seen
  SampleSummary wall;
  std::vector<SampleSummary> phases;     // in the order the phases happen
  std::vector<SampleSummary> process;    // user_ms, system_ms, max_rss_kb, faults, switches
  std::vector<SampleSummary> metrics;    // pooled values across successful runs
  std::vector<SampleSummary> cgroup;     // throttling, memory peak (when limits were used)
  std::optional<SampleSummary> residency;  // tracked bytes resident before each run, percent
  std::string cache_mode;                  // --cache of the latest measured run with a residency snapshot
  int64_t tracked_files = 0;               // and that run's tracked files, bytes, least-resident big files
  int64_t tracked_bytes = 0;
  std::vector<FileResidency> least_resident;
  std::optional<ColdReadsSummary> cold_reads;  // cold modes
  std::map<std::string, nlohmann::json> info;  // from the latest successful run
  std::vector<FailureNote> failures;
  std::optional<Oversubscription> oversubscription;
  std::string isolation;                 // of the latest measured run ("" = host)
  std::optional<AppliedLimits> limits;   // of the latest measured run
  // The machine around the successful measured runs, and their wall times'
  // trend in run order (docs/machine-noise.md); each carries its warning.
  std::optional<noise::MachineEvidence> machine;
  std::optional<noise::RunOrderTrend> wall_trend;
  // The warnings of those two, in words, for every reporter to print.
  std::vector<std::string> noise_warnings() const;
};

struct QuantityComparison {
  std::string quantity;  // "wall" or a phase name
  stats::Comparison comparison;
};

struct CommandComparison {
  std::string baseline;
  std::string candidate;
  std::vector<QuantityComparison> quantities;
};

struct SessionSummary {
  stats::ComparisonPolicy policy;  // what the comparisons were decided under
  std::vector<CommandSummary> commands;
  std::vector<CommandComparison> comparisons;  // comparison_pairs(): contrasts, or each command vs the first
  // What the records say, as sentences with their evidence (findings.hpp);
  // left empty by a look between runs (summarize_session_at without power).
  std::vector<Finding> findings;
};

// Which commands a session compares (baseline, candidate indexes): an
// experiment's [[contrast]] list (document.options.contrasts), else each
// command against the first.
std::vector<std::pair<std::size_t, std::size_t>> comparison_pairs(const ResultsDocument& document);

// The policy a document's comparisons are decided under: `policy`, with alpha
// lowered to the decision alpha of an adaptive session that stopped on its
// comparisons (document.adaptive.sequential.decision_alpha; docs/statistics.md,
// "Adaptive stopping"): verdicts reached by looking after every round are
// only valid at the look's share of alpha.
stats::ComparisonPolicy decision_policy(const ResultsDocument& document, stats::ComparisonPolicy policy);

// Comparisons: each command against the first, one family under
// decision_policy(document, policy).
SessionSummary summarize_session(const ResultsDocument& document,
                                 const stats::ComparisonPolicy& policy = {});
// The same under `policy` exactly (an adaptive session's look asks this).
// `power` false leaves out the detectable effects and runs needed (a power
// model per comparison): a look between runs needs only the verdicts.
SessionSummary summarize_session_at(const ResultsDocument& document, const stats::ComparisonPolicy& policy,
                                    bool power = true);
// Every command's wall-time comparison with the first has a conclusive verdict.
bool wall_comparisons_conclusive(const SessionSummary& summary);

}  // namespace coldbench::analysis
