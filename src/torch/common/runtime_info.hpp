#pragma once
// LibTorch's side of the runtime: version, build configuration, CPU kernels
// in use, and the thread pools. Reported as info markers and in the summary.

#include <string>

#include "core/expected.hpp"

namespace coldbench::workload {

struct RuntimeInfo {
  std::string torch_version;     // LibTorch headers we were compiled against
  std::string torch_compiler;    // the compiler LibTorch was built with ("GCC 12.2")
  std::string our_compiler;      // the compiler that built coldbench-torch
  std::string cpu_capability;    // ATen's kernel set in use ("AVX2", "AVX512", "DEFAULT")
  std::string parallel_backend;  // "OpenMP", "native thread pool", ...
  bool mkldnn = false;
  bool mkl = false;
  bool openmp = false;
  int num_threads = 0;          // intra-op threads in effect
  int num_interop_threads = 0;  // inter-op threads in effect
};

// 0 leaves LibTorch's default. Must run before any parallel work.
Expected<void> configure_threads(int threads, int interop_threads);

RuntimeInfo collect_runtime_info();

}  // namespace coldbench::workload
