#include "torch/serve/ab_routing.hpp"

namespace coldbench::workload::serve {

std::string_view arm_name(Arm arm) {
  return arm == Arm::kB ? "B" : "A";
}

uint64_t request_hash(std::string_view request_id) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : request_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ull;
  hash ^= hash >> 33;
  return hash;
}

double request_position(std::string_view request_id) {
  return static_cast<double>(request_hash(request_id) >> 11) * 0x1.0p-53;
}

Arm route_request(std::string_view request_id, double b_fraction) {
  return request_position(request_id) < b_fraction ? Arm::kB : Arm::kA;
}

}  // namespace coldbench::workload::serve
