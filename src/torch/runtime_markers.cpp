#include "runtime_markers.hpp"

#include "coldbench/marker.hpp"

namespace coldbench::workload {

void emit_runtime_markers(const RuntimeInfo& runtime,
                          const std::map<std::string, std::string>& thread_env,
                          const CpuBudget& cpu) {
  marker::info("torch.version", runtime.torch_version);
  marker::info("torch.compiler", runtime.torch_compiler);
  marker::info("compiler", runtime.our_compiler);
  marker::info("torch.cpu_capability", runtime.cpu_capability);
  marker::info("torch.parallel_backend", runtime.parallel_backend);
  marker::info("torch.mkldnn", runtime.mkldnn);
  marker::info("torch.mkl", runtime.mkl);
  marker::info("torch.openmp", runtime.openmp);
  marker::info("torch.num_threads", runtime.num_threads);
  marker::info("torch.num_interop_threads", runtime.num_interop_threads);
  for (const auto& [name, value] : thread_env) marker::info("env." + name, value);
  marker::info("cpu.affinity", format_cpu_list(cpu.affinity));
  if (cpu.quota_cpus) marker::info("cpu.quota", *cpu.quota_cpus);
  marker::info("cpu.effective", cpu.effective_cpus);
  marker::info("cpu.oversubscribed", runtime.num_threads > cpu.effective_cpus);
}

}  // namespace coldbench::workload
