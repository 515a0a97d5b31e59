// A small instrumented workload: it "loads a model" (fills a weight matrix from
// a file-sized buffer), then runs a matrix-vector "inference" loop and reports
// each iteration's latency. Run it alone or under `coldbench run`:
//
//   coldbench run -r 10 -- build/examples/cpp/coldbench-example-workload --iters 200
//
// The phases follow coldbench's standard names for inference workloads.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "coldbench/marker.hpp"

namespace {

int parse_positive(const char* flag, const char* text) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (!end || *end != '\0' || value <= 0 || value > 1000000) {
    std::fprintf(stderr, "error: %s needs a positive integer, got '%s'\n", flag, text);
    std::exit(2);
  }
  return static_cast<int>(value);
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  coldbench::marker::phase("runtime_ready");
  int size = 512;
  int iters = 100;
  int warmup = 5;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--size" || arg == "--iters" || arg == "--warmup") && i + 1 < argc) {
      int value = parse_positive(argv[i], argv[i + 1]);
      (arg == "--size" ? size : arg == "--iters" ? iters : warmup) = value;
      ++i;
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: %s [--size N] [--iters N] [--warmup N]\n", argv[0]);
      return 0;
    } else {
      std::fprintf(stderr, "error: unknown argument '%s' (try --help)\n", argv[i]);
      return 2;
    }
  }

  auto start = std::chrono::steady_clock::now();
  std::vector<float> weights(static_cast<size_t>(size) * size);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (auto& w : weights) w = dist(rng);
  std::vector<float> input(size, 1.0f), output(size);
  coldbench::marker::phase("model_loaded");
  std::printf("model loaded in %.2f ms (%d x %d)\n", elapsed_ms(start), size, size);

  auto infer = [&] {
    for (int r = 0; r < size; ++r) {
      float acc = 0;
      const float* row = &weights[static_cast<size_t>(r) * size];
      for (int c = 0; c < size; ++c) acc += row[c] * input[c];
      output[r] = acc;
    }
    input.swap(output);
    float norm = 0;
    for (float v : input) norm += v * v;
    for (float& v : input) v /= (norm > 0 ? std::sqrt(norm) : 1.0f);
  };

  infer();
  coldbench::marker::phase("first_inference");
  for (int i = 0; i < warmup; ++i) infer();
  coldbench::marker::phase("warmup_done");

  std::vector<double> latencies;
  latencies.reserve(iters);
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    infer();
    latencies.push_back(elapsed_ms(t0));
  }
  coldbench::marker::phase("inference_done");
  coldbench::marker::metric("latency", "ms", latencies);
  coldbench::marker::info("matrix_size", size);

  double sum = 0;
  for (double l : latencies) sum += l;
  std::printf("inference done: %d iters, mean latency %.3f ms (checksum %.6f)\n", iters, sum / iters, input[0]);
  return 0;
}
