#include "torch/common/runtime_snapshot.hpp"

#include "coldbench/marker.hpp"

namespace coldbench::workload {

void add_runtime_snapshot_json(nlohmann::json& doc, const RuntimeSnapshot& snapshot) {
  using nlohmann::json;
  const RuntimeInfo& rt = snapshot.runtime;
  doc["runtime"] = {{"torch_version", rt.torch_version},
                    {"torch_compiler", rt.torch_compiler},
                    {"compiler", rt.our_compiler},
                    {"cpu_capability", rt.cpu_capability},
                    {"parallel_backend", rt.parallel_backend},
                    {"mkldnn", rt.mkldnn},
                    {"mkl", rt.mkl},
                    {"openmp", rt.openmp},
                    {"num_threads", rt.num_threads},
                    {"num_interop_threads", rt.num_interop_threads}};
  const CpuBudget& budget = snapshot.cpu.budget;
  doc["cpu"] = {{"affinity", format_cpu_list(budget.affinity)},
                {"quota", budget.quota_cpus ? json(*budget.quota_cpus) : json(nullptr)},
                {"effective", snapshot.cpu.effective_cpus}};
  doc["env"] = snapshot.thread_env;
}

void emit_runtime_markers(const RuntimeSnapshot& snapshot) {
  const RuntimeInfo& runtime = snapshot.runtime;
  marker::info("torch.version", runtime.torch_version);
  marker::info("torch.compiler", runtime.torch_compiler);
  marker::info("compiler", runtime.our_compiler);
  marker::info("torch.cpu_capability", runtime.cpu_capability);
  marker::info("torch.parallel_backend", runtime.parallel_backend);
  marker::info("torch.mkldnn", runtime.mkldnn);
  marker::info("torch.mkl", runtime.mkl);
  marker::info("torch.openmp", runtime.openmp);
  marker::info(marker::kInfoTorchNumThreads, runtime.num_threads);
  marker::info(marker::kInfoTorchNumInteropThreads, runtime.num_interop_threads);
  for (const auto& [name, value] : snapshot.thread_env) marker::info("env." + name, value);
  const ProcessCpus& cpu = snapshot.cpu;
  marker::info("cpu.affinity", format_cpu_list(cpu.budget.affinity));
  if (cpu.budget.quota_cpus) marker::info("cpu.quota", *cpu.budget.quota_cpus);
  marker::info("cpu.effective", cpu.effective_cpus);
  marker::info("cpu.oversubscribed", snapshot.oversubscribed());
}

}  // namespace coldbench::workload
