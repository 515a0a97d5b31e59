#include "load/arrival.hpp"

#include <cmath>

namespace coldbench::load {

Expected<ArrivalKind> parse_arrival(std::string_view text) {
  if (text == "constant") return ArrivalKind::Constant;
  if (text == "poisson") return ArrivalKind::Poisson;
  return make_error(
      "--arrival '{}': give poisson (exponential gaps, the default) or constant (evenly spaced)",
      text);
}

const char* arrival_name(ArrivalKind kind) {
  return kind == ArrivalKind::Constant ? "constant" : "poisson";
}

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

ArrivalSchedule::ArrivalSchedule(ArrivalKind kind, double rate, uint64_t seed)
    : kind_(kind), rate_(rate) {
  uint64_t x = seed;
  for (auto& s : state_) s = splitmix64(x);
}

uint64_t ArrivalSchedule::next_u64() {
  const uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

int64_t ArrivalSchedule::next_ns() {
  if (kind_ == ArrivalKind::Constant) {
    last_ns_ = base_ns_ + std::llround(static_cast<double>(count_) * 1e9 / rate_);
    ++count_;
    return last_ns_;
  }
  // The first arrival is at 0 (like the constant schedule), then exponential gaps.
  if (count_++ > 0) {
    const double u = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;  // [0, 1)
    poisson_ns_ += -std::log1p(-u) / rate_ * 1e9;
  }
  last_ns_ = std::llround(poisson_ns_);
  return last_ns_;
}

void ArrivalSchedule::set_rate(double rate) {
  if (kind_ == ArrivalKind::Constant && count_ > 0) {
    // The next arrival keeps the old gap from the last one, then the new spacing.
    base_ns_ = last_ns_ + std::llround(1e9 / rate_);
    count_ = 0;
  }
  rate_ = rate;
}

}  // namespace coldbench::load
