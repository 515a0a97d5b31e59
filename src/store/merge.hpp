#pragma once
// `coldbench merge`: the histories of a study's shards (docs/scale-out.md)
// into one. Idempotent (a session is known by its uid, a run by its session
// and sequence) and for one study only: every session must carry the same
// experiment fingerprint, or nothing is written.

#include <cstdint>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/record.hpp"
#include "store/history.hpp"

namespace coldbench::store {

// The study a session belongs to: the whole experiment's fingerprint a shard
// recorded (options.shard.study_fingerprint), else the session's own
// experiment fingerprint. Empty for a session no experiment made (`coldbench run`).
std::string study_fingerprint(const SessionInfo& info, const ResultsDocument& header);

// The host a session ran on, as reports label it: the shard's --host-label,
// else the hostname.
std::string session_host_label(const ResultsDocument& header);

struct MergeSummary {
  int inputs = 0;
  std::string study;        // the experiment's name
  std::string fingerprint;  // the study's fingerprint
  History::MergeCounts counts;
  int sessions_in_output = 0;
  int64_t runs_in_output = 0;
  int64_t planned_runs = 0;  // over the output's sessions
};

// Checks every input (and the sessions `output` already has) for one study,
// then merges the inputs into `output` in order, creating it if needed.
Expected<MergeSummary> merge_histories(const std::vector<std::string>& inputs,
                                       const std::string& output);

}  // namespace coldbench::store
