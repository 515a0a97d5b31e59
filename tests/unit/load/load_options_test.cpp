#include "load/load_options.hpp"

#include <gtest/gtest.h>

#include "load/load_request.hpp"
#include "load/target_url.hpp"

namespace coldbench::load {
namespace {

LoadArguments valid() {
  LoadArguments args;
  args.url = "http://127.0.0.1:8080/healthz";
  args.rate = 100;
  args.duration = "2s";
  return args;
}

// The error for `args`, which must be a usage error (exit 2) that mentions `hint`.
void expect_usage_error(const LoadArguments& args, const std::string& hint) {
  auto plan = validate_load_arguments(args);
  ASSERT_FALSE(plan.ok()) << hint;
  EXPECT_EQ(plan.error().exit_code, 2);
  EXPECT_NE(plan.error().message.find(hint), std::string::npos) << plan.error().message;
}

TEST(LoadOptions, AcceptsAValidOpenLoopPlan) {
  auto plan = validate_load_arguments(valid());
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->engine.rate, 100);
  EXPECT_EQ(*plan->engine.duration_ns, 2'000'000'000);
  EXPECT_EQ(plan->planned_slices, 2);
}

TEST(LoadOptions, PlannedSlicesCountTheWarmupSlices) {
  auto args = valid();
  args.warmup_s = 1.5;  // [0, 0.5) and [0.5, 1.5): two warmup slices before the two measured ones
  auto plan = validate_load_arguments(args);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->planned_slices, 4);
}

TEST(LoadOptions, RejectsRateAtOrBelowZero) {
  auto args = valid();
  args.rate = 0;
  expect_usage_error(args, "--rate");
  args.rate = -5;
  expect_usage_error(args, "--rate");
}

TEST(LoadOptions, RejectsAnOpenLoopWithoutRate) {
  auto args = valid();
  args.rate.reset();
  expect_usage_error(args, "--closed-loop");
}

TEST(LoadOptions, RejectsAnUnboundedSession) {
  auto args = valid();
  args.duration.clear();
  expect_usage_error(args, "--requests");
}

TEST(LoadOptions, RejectsUnknownArrival) {
  auto args = valid();
  args.arrival = "bursty";
  expect_usage_error(args, "constant");
}

TEST(LoadOptions, RejectsBadUrls) {
  for (const char* url : {"127.0.0.1:8080/x", "https://127.0.0.1/", "http://",
                          "http://127.0.0.1:0/", "http://127.0.0.1:99999/"}) {
    auto args = valid();
    args.url = url;
    expect_usage_error(args, "--url");
  }
}

TEST(LoadOptions, APathNeedsAServerCommand) {
  auto args = valid();
  args.url = "/healthz";
  expect_usage_error(args, "-- COMMAND");
  args.server_command = {"server"};
  EXPECT_TRUE(validate_load_arguments(args).ok());
}

TEST(LoadOptions, ClosedLoopTakesNoRate) {
  auto args = valid();
  args.closed_loop = true;
  expect_usage_error(args, "--rate");
  args.rate.reset();
  EXPECT_TRUE(validate_load_arguments(args).ok());
}

TEST(LoadTarget, RefusesANonLoopbackHostWithoutAllowRemote) {
  auto url = parse_target_url("http://192.0.2.1:8080/");  // TEST-NET-1: never routed
  ASSERT_TRUE(url.ok());
  auto refused = resolve_target(*url, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("--allow-remote"), std::string::npos);
  EXPECT_TRUE(resolve_target(*url, true).ok());
  auto local = parse_target_url("http://127.0.0.1:8080/");
  ASSERT_TRUE(resolve_target(*local, false).ok());
}

TEST(LoadTarget, ParsesPortPathAndIpv6) {
  auto url = parse_target_url("http://[::1]:9000/v1/models/m:predict?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->path, "/v1/models/m:predict?x=1");
  EXPECT_EQ(url->host_header, "[::1]:9000");
  auto bare = parse_target_url("http://localhost");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 80);
  EXPECT_EQ(bare->path, "/");
}

TEST(LoadRequest, BuildsHeadHeadersAndBody) {
  RequestSpec spec;
  spec.method = "POST";
  spec.url = *parse_target_url("http://127.0.0.1:8080/v1/models/tiny_cnn:predict");
  spec.headers = {"X-Shape: 1,3,32,32", "Content-Type:application/octet-stream"};
  spec.body = std::string("\0\1\2\3", 4);
  auto request = build_request(spec);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(*request,
            std::string("POST /v1/models/tiny_cnn:predict HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                        "X-Shape: 1,3,32,32\r\nContent-Type: application/octet-stream\r\n"
                        "Content-Length: 4\r\n\r\n") +
                spec.body);
}

TEST(LoadRequest, RejectsMalformedAndReservedHeaders) {
  RequestSpec spec;
  spec.url = *parse_target_url("http://127.0.0.1:8080/");
  spec.headers = {"no colon here"};
  EXPECT_FALSE(build_request(spec).ok());
  spec.headers = {"Content-Length: 5"};
  EXPECT_FALSE(build_request(spec).ok());
  spec.headers = {"X-A: 1\r\nX-B: 2"};
  EXPECT_FALSE(build_request(spec).ok());
}

}  // namespace
}  // namespace coldbench::load
