#pragma once
// Why one mode is faster than another (infer; seeds/004 8.2): what freezing
// and optimize_for_inference changed in the forward graph (node counts by
// kind against script mode, activations left unfused after a convolution),
// and where the time of an inference still goes (self time per op, from
// the profiler's op events over a few inferences run after everything
// timed). Free of LibTorch: the graph counts come from common/model.hpp,
// the op events from profile/collector.hpp.

#include <cstdint>
#include <string>
#include <vector>

#include "torch/common/model.hpp"
#include "torch/profile/summary.hpp"

namespace coldbench::workload {

struct KindDelta {
  std::string kind;
  int64_t before = 0;  // in script mode's graph
  int64_t after = 0;   // in this mode's
};

struct OpTime {
  std::string name;
  double calls_per_inference = 0;
  double self_ms_per_inference = 0;
  double share = 0;  // of the summed self time
};

struct ModeExplanation {
  Mode mode = Mode::kScript;
  GraphStats graph;
  std::vector<KindDelta> vs_script;  // largest changes first; empty for script mode
  int profiled_inferences = 0;       // 0: no op profile
  double profiled_self_ms_per_inference = 0;  // summed self time of the ops the profiler saw
  double profiled_wall_ms_per_inference = 0;  // the profiled forward passes' own time
  // The share of an inference the op table covers: graph nodes that are not
  // dispatcher ops (the oneDNN rewrite's prim::mkldnn_convolution) are not
  // recorded, so an optimized graph's table can miss most of its time.
  double coverage() const {
    return profiled_wall_ms_per_inference > 0 ? profiled_self_ms_per_inference / profiled_wall_ms_per_inference : 0.0;
  }
  std::vector<OpTime> top_ops;       // largest self time first
};

// Kinds whose count changed from `before` to `after`, largest change first
// (ties by name), at most `limit`.
std::vector<KindDelta> graph_delta(const GraphStats& before, const GraphStats& after, size_t limit);

// Operator self times per inference from a profiled window of `inferences`
// forward passes, largest first, at most `limit`; annotations are skipped.
std::vector<OpTime> top_ops(const WindowSummary& summary, int inferences, size_t limit);

// "-52 aten::batch_norm, +52 prim::mkldnn_convolution, ..." (the first `limit`).
std::string describe_delta(const std::vector<KindDelta>& delta, size_t limit);

}  // namespace coldbench::workload
