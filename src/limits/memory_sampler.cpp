#include "limits/memory_sampler.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

namespace coldbench::limits {

MemorySampler::MemorySampler(std::string path, int interval_ms)
    : path_(std::move(path)), interval_ms_(interval_ms), thread_([this] { loop(); }) {}

MemorySampler::~MemorySampler() {
  stop();
}

std::optional<int64_t> MemorySampler::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  sample();  // one last reading, in case the run was shorter than an interval
  int64_t peak = peak_.load();
  if (peak < 0) return std::nullopt;
  return peak;
}

void MemorySampler::loop() {
  timespec delay{interval_ms_ / 1000, static_cast<long>(interval_ms_ % 1000) * 1'000'000};
  while (!stopping_.load()) {
    sample();
    nanosleep(&delay, nullptr);
  }
}

void MemorySampler::sample() {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buffer[64];
  ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (n <= 0) return;
  int64_t value = 0;
  bool digits = false;
  for (ssize_t i = 0; i < n && buffer[i] >= '0' && buffer[i] <= '9'; ++i) {
    value = value * 10 + (buffer[i] - '0');
    digits = true;
  }
  if (!digits) return;
  int64_t seen = peak_.load();
  while (value > seen && !peak_.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace coldbench::limits
