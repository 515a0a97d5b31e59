#pragma once
// When requests are meant to be sent: the open-loop schedule. Each arrival's
// intended time is fixed by the schedule alone, never by how fast the server
// answered, so a stall shows up as latency (coordinated omission; docs/load.md).
// The rate may change between arrivals: a peak search drives it through set_rate.

#include <cstdint>
#include <string_view>

#include "core/expected.hpp"

namespace coldbench::load {

enum class ArrivalKind { Constant, Poisson };

// "constant" or "poisson"; anything else is an error that names both.
Expected<ArrivalKind> parse_arrival(std::string_view text);
const char* arrival_name(ArrivalKind kind);

class ArrivalSchedule {
 public:
  // `rate` in requests per second, > 0. Poisson gaps come from `seed` only
  // (own exponential draw from a 64-bit Mersenne Twister, the same on every
  // platform, unlike std::exponential_distribution).
  ArrivalSchedule(ArrivalKind kind, double rate, uint64_t seed);

  // Offset of the next arrival from the schedule's start, in ns, non-decreasing.
  int64_t next_ns();
  // From the next arrival on, at `rate` (> 0) per second.
  void set_rate(double rate);
  double rate() const { return rate_; }

 private:
  ArrivalKind kind_;
  double rate_;
  uint64_t state_[4];      // xoshiro256** state: small, fast and fully specified
  int64_t base_ns_ = 0;    // constant: arrivals are base + k / rate (no rounding drift)
  int64_t count_ = 0;      // arrivals since base_ns_
  double poisson_ns_ = 0;  // poisson: running sum of gaps
  int64_t last_ns_ = 0;

  uint64_t next_u64();
};

}  // namespace coldbench::load
