#pragma once
// coldbench marker client for C++ workloads (header-only, no dependencies).
//
// Marker protocol v1 (docs/marker-protocol.md): when a workload runs under
// `coldbench run`, the environment carries COLDBENCH_FD=<fd>; the workload
// writes one JSON object per line to that fd:
//   {"v":1,"t":<CLOCK_MONOTONIC ns>,"kind":"phase","name":"model_loaded"}
//   {"v":1,"t":...,"kind":"metric","name":"latency","unit":"ms","values":[5.1,5.3]}
//   {"v":1,"t":...,"kind":"info","name":"torch.num_threads","value":2}
// With COLDBENCH_MARKERS=stdout (containers, where no fd can cross) the same
// lines go to stdout prefixed by "@coldbench ". Without either, every call is
// a cheap no-op, so the workload runs the same with or without the harness.
//
//   coldbench::marker::phase("model_loaded");
//   coldbench::marker::metric("latency", "ms", latencies);
//   coldbench::marker::info("threads", 2);

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace coldbench::marker {

// The protocol's shared vocabulary: names workloads emit and the harness's
// reports read, so both sides spell them one way (docs/marker-protocol.md).
// Standard phases of an inference workload, in the order they end.
inline constexpr const char* kPhaseRuntimeReady = "runtime_ready";  // libraries loaded
inline constexpr const char* kPhaseModelLoaded = "model_loaded";
inline constexpr const char* kPhaseModelOptimized = "model_optimized";  // if any
inline constexpr const char* kPhaseFirstInference = "first_inference";  // "time to first inference"
inline constexpr const char* kPhaseWarmupDone = "warmup_done";
inline constexpr const char* kPhaseInferenceDone = "inference_done";
// Phases of a profiling workload (after kPhaseRuntimeReady; kPhaseWarmupDone between these two).
inline constexpr const char* kPhaseSetupDone = "setup_done";
inline constexpr const char* kPhaseProfileDone = "profile_done";
// The per-iteration metric the steady-latency columns and the gate read.
inline constexpr const char* kMetricLatency = "latency";
// Info keys with a workload's compute thread count, in the order the harness
// looks for them (LibTorch's intra-op threads first), and its inter-op threads.
inline constexpr const char* kInfoTorchNumThreads = "torch.num_threads";
inline constexpr const char* kInfoComputeThreads = "compute_threads";
inline constexpr const char* kInfoTorchNumInteropThreads = "torch.num_interop_threads";

inline int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

class Client {
 public:
  static Client& instance() {
    static Client client;
    return client;
  }

  bool enabled() const { return fd_ >= 0; }

  void phase(std::string_view name) {
    if (!enabled()) return;
    std::string line = begin("phase", name);
    line += "}\n";
    emit(line);
  }

  void metric(std::string_view name, std::string_view unit, const double* values, std::size_t count) {
    if (!enabled()) return;
    std::string line = begin("metric", name);
    line += ",\"unit\":";
    append_string(line, unit);
    line += ",\"values\":[";
    for (std::size_t i = 0; i < count; ++i) {
      if (i) line += ',';
      append_number(line, values[i]);
    }
    line += "]}\n";
    emit(line);
  }

  void info_raw(std::string_view name, const std::string& json_value) {
    if (!enabled()) return;
    std::string line = begin("info", name);
    line += ",\"value\":";
    line += json_value;
    line += "}\n";
    emit(line);
  }

  static void append_string(std::string& out, std::string_view text) {
    out += '"';
    for (char c : text) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
            out += buf;
          } else {
            out += c;
          }
      }
    }
    out += '"';
  }

  static void append_number(std::string& out, double value) {
    if (!std::isfinite(value)) {
      out += "null";  // JSON has no NaN/Inf; the harness skips nulls
      return;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", value);
    out += buf;
  }

 private:
  Client() {
    if (const char* fd = std::getenv("COLDBENCH_FD"); fd && *fd) {
      char* end = nullptr;
      long parsed = std::strtol(fd, &end, 10);
      if (end && *end == '\0' && parsed >= 0) fd_ = static_cast<int>(parsed);
    } else if (const char* mode = std::getenv("COLDBENCH_MARKERS"); mode && std::strcmp(mode, "stdout") == 0) {
      fd_ = STDOUT_FILENO;
      prefix_ = "@coldbench ";
    }
  }

  std::string begin(const char* kind, std::string_view name) const {
    std::string line = prefix_;
    line += "{\"v\":1,\"t\":";
    line += std::to_string(monotonic_ns());
    line += ",\"kind\":\"";
    line += kind;
    line += "\",\"name\":";
    append_string(line, name);
    return line;
  }

  // One write per line where possible; retried on partial writes and EINTR.
  void emit(const std::string& line) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (prefix_.size()) std::fflush(stdout);  // keep order with the program's own stdout
    const char* data = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        fd_ = -1;  // the harness is gone; stop reporting rather than fail the workload
        return;
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }

  int fd_ = -1;
  std::string prefix_;
  std::mutex mutex_;
};

inline void phase(std::string_view name) { Client::instance().phase(name); }

inline void metric(std::string_view name, std::string_view unit, const std::vector<double>& values) {
  Client::instance().metric(name, unit, values.data(), values.size());
}

inline void metric(std::string_view name, std::string_view unit, double value) {
  Client::instance().metric(name, unit, &value, 1);
}

inline void info(std::string_view name, std::string_view value) {
  if (!Client::instance().enabled()) return;
  std::string json;
  Client::append_string(json, value);
  Client::instance().info_raw(name, json);
}
inline void info(std::string_view name, const char* value) { info(name, std::string_view(value)); }
inline void info(std::string_view name, const std::string& value) { info(name, std::string_view(value)); }

inline void info(std::string_view name, double value) {
  if (!Client::instance().enabled()) return;
  std::string json;
  Client::append_number(json, value);
  Client::instance().info_raw(name, json);
}
inline void info(std::string_view name, long long value) {
  if (!Client::instance().enabled()) return;
  Client::instance().info_raw(name, std::to_string(value));
}
inline void info(std::string_view name, int value) { info(name, static_cast<long long>(value)); }
inline void info(std::string_view name, long value) { info(name, static_cast<long long>(value)); }
inline void info(std::string_view name, bool value) {
  if (!Client::instance().enabled()) return;
  Client::instance().info_raw(name, value ? "true" : "false");
}

inline bool enabled() { return Client::instance().enabled(); }

}  // namespace coldbench::marker
