#pragma once
// What a coldbench-torch workload reports about the runtime it ran on, taken
// once at the end of a run and written the same way by infer and profile:
// LibTorch's build and thread pools, the CPUs the process can use, and the
// thread-count environment, with the oversubscription verdict the harness
// shows. Free of LibTorch headers; take_runtime_snapshot (runtime_info.cpp)
// is the part that asks LibTorch.

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "torch/common/runtime_info.hpp"
#include "torch/common/system_info.hpp"

namespace coldbench::workload {

struct RuntimeSnapshot {
  RuntimeInfo runtime;
  ProcessCpus cpu;
  std::map<std::string, std::string> thread_env;  // every kThreadVariables name; "" when unset

  bool oversubscribed() const { return runtime.num_threads > cpu.effective_cpus; }
};

// LibTorch's runtime now, this process's CPUs and its thread environment.
RuntimeSnapshot take_runtime_snapshot();

// Sets doc["runtime"], doc["cpu"] and doc["env"] (docs/torch-infer.md, docs/profile.md).
void add_runtime_snapshot_json(nlohmann::json& doc, const RuntimeSnapshot& snapshot);

// The info markers: torch.*, compiler, env.*, cpu.*.
void emit_runtime_markers(const RuntimeSnapshot& snapshot);

}  // namespace coldbench::workload
