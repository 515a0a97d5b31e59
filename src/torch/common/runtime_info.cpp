#include "torch/common/runtime_info.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include <sstream>

#include "torch/common/errors.hpp"
#include "torch/common/runtime_snapshot.hpp"

namespace coldbench::workload {
namespace {

// at::show_config() lines look like "  - CPU capability usage: AVX2".
std::string config_value(const std::string& config, const std::string& key) {
  std::istringstream lines(config);
  std::string line;
  while (std::getline(lines, line)) {
    auto at = line.find(key);
    if (at == std::string::npos) continue;
    std::string value = line.substr(at + key.size());
    while (!value.empty() && (value.front() == ' ' || value.front() == ':')) value.erase(0, 1);
    return value;
  }
  return "";
}

std::string torch_compiler(const std::string& config) {
  std::istringstream lines(config);
  std::string line;
  while (std::getline(lines, line)) {
    for (const char* name : {"GCC ", "clang ", "Clang ", "MSVC "}) {
      if (auto at = line.find(name); at != std::string::npos) return line.substr(at);
    }
  }
  return "unknown";
}

}  // namespace

Expected<void> configure_threads(int threads, int interop_threads) {
  try {
    if (interop_threads > 0) at::set_num_interop_threads(interop_threads);
    if (threads > 0) at::set_num_threads(threads);
  } catch (const c10::Error& e) {
    return make_error("cannot set LibTorch's thread counts: {}",
                      short_torch_message(e.what_without_backtrace()));
  }
  return {};
}

RuntimeInfo collect_runtime_info() {
  RuntimeInfo info;
  std::string config = at::show_config();
  info.torch_version = TORCH_VERSION;
  info.torch_compiler = torch_compiler(config);
#if defined(__clang__)
  info.our_compiler = "clang " __clang_version__;
#else
  info.our_compiler = "GCC " __VERSION__;
#endif
  info.cpu_capability = config_value(config, "CPU capability usage");
  if (info.cpu_capability.empty()) info.cpu_capability = "unknown";
  info.parallel_backend = config_value(at::get_parallel_info(), "ATen parallel backend");
  info.mkldnn = at::hasMKLDNN();
  info.mkl = at::hasMKL();
  info.openmp = at::hasOpenMP();
  info.num_threads = at::get_num_threads();
  info.num_interop_threads = at::get_num_interop_threads();
  return info;
}

RuntimeSnapshot take_runtime_snapshot() {
  return RuntimeSnapshot{collect_runtime_info(), read_process_cpus(), thread_environment()};
}

}  // namespace coldbench::workload
