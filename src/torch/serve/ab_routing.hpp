#pragma once
// Which arm of an A/B experiment serves a request: a stable hash of its
// request id, the same in every process and on every machine (not std::hash,
// whose values are the library's choice). docs/serve.md, "A/B and canary".

#include <cstdint>
#include <string_view>

namespace coldbench::workload::serve {

enum class Arm { kA, kB };
std::string_view arm_name(Arm arm);  // "A", "B"

// FNV-1a 64 of the id's bytes, then MurmurHash3's 64-bit finalizer (FNV-1a
// alone mixes its low bits poorly for ids that differ in one digit).
uint64_t request_hash(std::string_view request_id);

// The hash's top 53 bits as a fraction in [0, 1): uniform over ids.
double request_position(std::string_view request_id);

// B when the request's position is below `b_fraction`: a request that B
// serves at one fraction is served by B at every larger one, so a canary's
// ramp only ever moves requests from A to B.
Arm route_request(std::string_view request_id, double b_fraction);

}  // namespace coldbench::workload::serve
