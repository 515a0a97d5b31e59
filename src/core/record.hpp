#pragma once
// The result model: one RunRecord per run, one ResultsDocument per session.
// Everything that reports, stores or compares works on these types; the JSON
// form (schema "coldbench/1") is in record_json.hpp and docs/result-schema.md.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace coldbench {

inline constexpr const char* kResultsSchema = "coldbench/1";

// How a phase's end was observed.
enum class PhaseSource { Marker, Regex };

struct PhaseRecord {
  std::string name;
  double end_ms = 0;       // since the harness's clock reading just before spawn
  double duration_ms = 0;  // end minus the previous phase's end (or minus spawn)
  PhaseSource source = PhaseSource::Marker;
};

struct MetricRecord {
  std::string name;
  std::string unit;            // free text, e.g. "ms", "samples/s", "bytes"; may be empty
  std::vector<double> values;  // a metric may carry one value or a distribution
};

struct ResourceUsage {
  double user_ms = 0;
  double system_ms = 0;
  int64_t max_rss_kb = 0;
  int64_t minor_faults = 0;
  int64_t major_faults = 0;
  int64_t voluntary_switches = 0;
  int64_t involuntary_switches = 0;
};

// Stats of the per-run cgroup, when the run had one (limits).
struct CgroupStats {
  std::optional<double> cpu_usage_ms;
  std::optional<int64_t> periods;
  std::optional<int64_t> throttled_periods;
  std::optional<double> throttled_ms;
  std::optional<int64_t> memory_peak_bytes;
  std::optional<int64_t> oom_kills;
};

// The limits a run ran under, as applied (limits/).
struct AppliedLimits {
  std::optional<double> cpus;            // CFS quota / period
  std::string cpuset;                    // cgroup cpuset.cpus
  std::optional<int64_t> memory_bytes;   // memory limit
  std::string affinity;                  // sched_setaffinity list
  std::optional<int> effective_cpus;     // min(|affinity ∩ cpuset|, floor(quota)), at least 1
  std::string threads;                   // value given to OMP/MKL/OPENBLAS_NUM_THREADS, if any
  std::string cgroup;                    // the per-run cgroup's backend, e.g. "v1" or "v2"; empty if none
};

struct FileResidency {
  std::string path;
  int64_t size_bytes = 0;
  int64_t resident_bytes = 0;
};

// A process that has a file mapped (/proc/PID/maps), which keeps the mapped pages resident.
struct FileMapper {
  int pid = 0;
  std::string command;  // its command line, shortened
};

// A file that eviction left partly resident, and who maps it.
struct LeftResident {
  std::string path;
  int64_t size_bytes = 0;
  int64_t resident_bytes = 0;
  std::vector<FileMapper> mappers;  // empty: nobody maps it (pages under writeback, a tmpfs)
};

// One tracked file's pages before and after a run (cache/attribution.hpp).
struct FileRead {
  std::string path;
  int64_t size_bytes = 0;
  int64_t resident_before = 0;
  int64_t resident_after = 0;
  int64_t read_bytes() const { return resident_after > resident_before ? resident_after - resident_before : 0; }
};

// How fast the disk reads the same bytes sequentially, measured once per
// session (cache/attribution.hpp): the floor for a cold start's reads.
struct SequentialFloor {
  int64_t bytes = 0;
  double ms = 0;
  std::string method;  // "O_DIRECT pread" or "pread after eviction"
  double bytes_per_s() const { return ms > 0 ? double(bytes) / (ms / 1000.0) : 0.0; }
};

// What the tracked files gained in the page cache during a run: the bytes a
// cold start read from disk (or that a concurrent prefetch read for it).
struct CacheReads {
  int64_t read_bytes = 0;         // over all measured files
  int64_t files_read = 0;         // files that gained pages
  std::vector<FileRead> top;      // the files that gained most, most first (up to ten)
  std::optional<SequentialFloor> floor;  // on the run where it was measured
  // cold+prefetch: what the prefetch racing the run read before the run ended.
  std::optional<int64_t> prefetched_bytes;
  std::optional<double> prefetch_ms;
  std::optional<bool> prefetch_completed;  // the whole list was replayed before the run ended
  // Files eviction left partly resident before the run, and the processes that map them.
  std::vector<LeftResident> left_resident;
};

// Page-cache residency of the tracked files just before a run started.
struct ResidencySnapshot {
  std::string cache_mode;  // none|warm|cold|drop
  int64_t tracked_files = 0;
  int64_t total_bytes = 0;
  int64_t resident_bytes = 0;
  std::vector<FileResidency> least_resident;  // up to five big files, least resident first
  double fraction() const { return total_bytes > 0 ? double(resident_bytes) / double(total_bytes) : 0.0; }
};

// The machine around one run (noise/, docs/machine-noise.md), from samples taken
// just before the spawn and just after the reap. Each field is absent where
// the machine does not expose it (no /proc/loadavg, no cpufreq in a VM or
// container): absent, never zero.
struct MachineNoise {
  std::optional<double> load_1m_start;  // /proc/loadavg, 1-minute average
  std::optional<double> load_1m_end;
  std::optional<int> cpus;              // CPUs /proc/stat accounts (the machine's, also in a container)
  std::optional<double> interval_ms;    // between the two /proc/stat samples
  std::optional<double> busy_cpu_ms;    // all CPUs' user+nice+system+irq+softirq time in the interval
  std::optional<double> harness_cpu_ms; // coldbench's own CPU time in the interval
  // busy minus the workload's CPU (rusage, or its cgroup's if larger) minus the
  // harness's, at least 0; and that as a fraction of interval x cpus.
  std::optional<double> other_cpu_ms;
  std::optional<double> other_cpu_fraction;
  std::optional<double> steal_fraction;   // of interval x cpus: a hypervisor ran someone else
  std::optional<double> iowait_fraction;  // of interval x cpus: idle CPUs waiting on I/O
  std::optional<double> cpu_freq_mhz;     // scaling_cur_freq, mean over the run's CPUs, start and end
  std::string cpu_governor;               // scaling_governor of the run's CPUs ("a/b" if they differ); "" = unknown
};

struct RunRecord {
  std::string command;  // the command's name
  int command_index = 0;
  int index = 0;        // per command: 0.. for measured runs, separately 0.. for warmups
  int sequence = 0;     // position in the whole session's schedule (run order)
  bool warmup = false;
  std::string started_at;  // UTC ISO 8601
  double wall_ms = 0;      // from the workload's execve to its reap, CLOCK_MONOTONIC
  double setup_ms = 0;     // harness work before that exec (fork, cgroup join, namespaces); not in wall

  std::optional<int> exit_code;  // set when the process exited
  std::optional<int> signal;     // set when it was killed by a signal
  bool timed_out = false;
  bool oom_killed = false;
  std::string error;             // why the run failed, in words; empty if it succeeded

  ResourceUsage usage;
  std::vector<PhaseRecord> phases;
  std::vector<MetricRecord> metrics;
  std::map<std::string, nlohmann::json> info;
  int malformed_markers = 0;
  // What the harness noticed about the run that the user should see: a marker
  // limit reached, the first malformed marker's problem.
  std::vector<std::string> warnings;
  std::string output_tail;  // last lines of stdout/stderr, kept for failed runs (valid UTF-8: docs/result-schema.md, Text)

  std::optional<CgroupStats> cgroup;
  std::optional<AppliedLimits> limits;
  std::optional<ResidencySnapshot> residency;
  std::optional<CacheReads> cache_reads;  // cold modes, measured runs: pages the run brought in
  std::optional<MachineNoise> machine;  // absent when nothing could be sampled (no /proc)
  std::string isolation;  // host (empty) | sandbox | docker | podman
  std::map<std::string, std::string> labels;  // free-form, e.g. config parameters of a sweep

  bool succeeded() const { return error.empty(); }
  const PhaseRecord* phase(const std::string& name) const;
  const MetricRecord* metric(const std::string& name) const;
};

struct CommandSpec {
  std::string name;
  std::string text;               // as the user wrote it
  std::vector<std::string> argv;  // what is executed (["/bin/sh","-c",text] with --shell)
  bool shell = false;
};

struct HostInfo {
  std::string hostname;
  std::string kernel;
  std::string cpu_model;
  int online_cpus = 0;
  int64_t memory_bytes = 0;
};

// Text from outside (a workload's output, its command line, file paths)
// enters a record through these, as valid UTF-8: each ill-formed byte
// sequence becomes U+FFFD (docs/result-schema.md, "Text"). The workload
// itself still gets its arguments byte for byte; only the record differs.
void make_text_valid(RunRecord& run);
void make_text_valid(CommandSpec& command);

// A whole `coldbench run` session: its options, commands and every run so far.
struct ResultsDocument {
  std::string tool_version;
  std::string started_at;
  std::string finished_at;  // empty while running
  bool interrupted = false;
  HostInfo host;
  nlohmann::json options = nlohmann::json::object();  // the options the session ran with
  // `--runs auto`: the stopping rule and why each command stopped
  // (bench/adaptive.hpp, docs/result-schema.md); null for a fixed number of runs.
  nlohmann::json adaptive;
  std::vector<CommandSpec> commands;
  std::vector<RunRecord> runs;
};

}  // namespace coldbench
