#include "torch/serve/ab_routing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace coldbench::workload::serve {
namespace {

// Fixed values: the routing of an id must never change between builds,
// processes or machines (a changed hash would move users between arms).
TEST(AbRouting, HashIsFixedForKnownIds) {
  // FNV-1a 64 then fmix64, computed independently (Python, docs/serve.md's recipe).
  EXPECT_EQ(request_hash("a"), 0x82a2a958a9bece5bull);
  EXPECT_EQ(request_hash("req-1"), 0x41bf9201cad1d3b5ull);
  EXPECT_EQ(request_hash(""), 0xefd01f60ba992926ull);
  EXPECT_NEAR(request_position("req-1"), 0.2568293814063687, 1e-15);
  EXPECT_EQ(route_request("req-1", 0.25), Arm::kA);
  EXPECT_EQ(route_request("req-1", 0.26), Arm::kB);
}

TEST(AbRouting, RatioIsMetOverSequentialIds) {
  int b = 0;
  constexpr int kIds = 100000;
  for (int i = 0; i < kIds; ++i) {
    if (route_request("4f2a-" + std::to_string(i), 0.1) == Arm::kB) ++b;
  }
  // Binomial(100000, 0.1): sd 95; 6 sd either side.
  EXPECT_NEAR(b, kIds / 10, 570);
}

TEST(AbRouting, ARequestOnBStaysOnBAsTheShareGrows) {
  for (int i = 0; i < 2000; ++i) {
    const std::string id = "id-" + std::to_string(i);
    bool on_b = false;
    for (double share : {0.0, 0.01, 0.05, 0.2, 0.5, 1.0}) {
      const bool now = route_request(id, share) == Arm::kB;
      EXPECT_TRUE(now || !on_b) << id << " left B at " << share;
      on_b = now;
    }
    EXPECT_TRUE(on_b);
    EXPECT_EQ(route_request(id, 0.0), Arm::kA);
  }
  EXPECT_EQ(arm_name(Arm::kA), "A");
  EXPECT_EQ(arm_name(Arm::kB), "B");
}

}  // namespace
}  // namespace coldbench::workload::serve
