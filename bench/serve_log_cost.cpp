// What the structured log costs a request's own thread: ServeWatch::observe
// (the detectors, and with logging the JSON line and its hand-off to the
// writer thread) timed call by call, with --log off and with every request
// logged to a file, interleaved; a 300 us pause between calls stands for the
// request rate of a ~0.3 ms model. Run by bench/serve_overhead.sh; alone:
//   build/serve-log-cost [ROUNDS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "torch/serve/watch.hpp"

using namespace coldbench::workload;
using Clock = std::chrono::steady_clock;

namespace {

double observe_p50_us(const std::string& target, int calls) {
  metrics::Registry registry;
  serve::WatchOptions options;
  options.log.target = target;
  options.log.sample = 1;
  auto watch = serve::ServeWatch::create(options, registry);
  if (!watch) {
    std::fprintf(stderr, "serve-log-cost: %s\n", watch.error().message.c_str());
    std::exit(1);
  }
  (*watch)->watch_models({serve::ServedModel{"m", "v", "script", "cpu", {3, 32, 32}, {}, {}, {}, 0}}, true);
  (*watch)->start_leak_watch();
  serve::RequestRecord record;
  record.request_id = "1f2e-000001";
  record.model = "m";
  record.version = "v";
  record.mode = "script";
  record.status = 200;
  record.input_shape = {1, 3, 32, 32};
  record.inference_ran = true;
  std::vector<double> us;
  for (int i = 0; i < calls; ++i) {
    const auto pause = Clock::now() + std::chrono::microseconds(300);
    while (Clock::now() < pause) {
    }
    record.inference_ms = 0.3 + (i % 7) * 0.01;
    const auto start = Clock::now();
    (*watch)->observe(record);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::nth_element(us.begin(), us.begin() + calls / 2, us.end());
  return us[static_cast<size_t>(calls / 2)];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const auto dir = std::filesystem::temp_directory_path() / "coldbench-serve-log-cost";
  std::filesystem::create_directories(dir);
  std::vector<double> off, logged;
  for (int r = 0; r < rounds; ++r) {
    off.push_back(observe_p50_us("off", 3000));
    logged.push_back(observe_p50_us((dir / "serve.log").string(), 3000));
    std::filesystem::remove(dir / "serve.log");
  }
  std::filesystem::remove_all(dir);
  std::sort(off.begin(), off.end());
  std::sort(logged.begin(), logged.end());
  const double off_us = off[off.size() / 2], logged_us = logged[logged.size() / 2];
  std::printf(
      "  request thread, per request: detectors only %.2f us, every request logged %.2f us "
      "(+%.2f us; medians of %d rounds of 3000)\n",
      off_us, logged_us, logged_us - off_us, rounds);
}
