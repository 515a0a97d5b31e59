#pragma once
// The info markers every coldbench-torch workload sends about its runtime:
// LibTorch's build and thread pools, the thread-count environment and the CPU
// budget, with the oversubscription verdict the harness shows.

#include <map>
#include <string>

#include "runtime_info.hpp"
#include "system_info.hpp"

namespace coldbench::workload {

void emit_runtime_markers(const RuntimeInfo& runtime,
                          const std::map<std::string, std::string>& thread_env,
                          const CpuBudget& cpu);

}  // namespace coldbench::workload
