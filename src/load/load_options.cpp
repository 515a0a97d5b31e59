#include "load/load_options.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include "core/units.hpp"
#include "load/load_request.hpp"

namespace coldbench::load {
namespace {

constexpr double kMaxRate = 1e6;        // far above what one client thread can send
constexpr int kMaxConnections = 10000;  // below the usual fd limits
constexpr int64_t kMaxRequests = 100'000'000;

Expected<int64_t> duration_ns(const std::string& option, const std::string& text) {
  auto seconds = parse_duration_seconds(text);
  if (!seconds) return seconds.error().with_context(option);
  return static_cast<int64_t>(std::llround(*seconds * 1e9));
}

}  // namespace

Expected<LoadSessionPlan> validate_load_arguments(const LoadArguments& args) {
  LoadSessionPlan plan;
  LoadPlan& engine = plan.engine;
  if (args.url.empty()) {
    return make_error(
        "no --url: give the endpoint to load, e.g. --url http://127.0.0.1:8080/healthz "
        "(with -- SERVER, a path such as --url /healthz)");
  }
  if (args.url.front() == '/') {
    if (args.server_command.empty()) {
      return make_error(
          "--url '{}' is a path: give http://HOST:PORT{}, or start the server with -- COMMAND",
          args.url, args.url);
    }
  } else if (auto url = parse_target_url(args.url); !url) {
    return url.error();
  }
  auto arrival = parse_arrival(args.arrival);
  if (!arrival) return arrival.error();
  engine.arrival = *arrival;
  engine.closed_loop = args.closed_loop;
  if (args.closed_loop) {
    if (args.rate)
      return make_error(
          "--rate with --closed-loop: a closed loop sends as fast as answers come; drop one of "
          "them");
  } else {
    if (!args.rate)
      return make_error(
          "no --rate: give the scheduled requests per second, e.g. --rate 100 (or --closed-loop)");
    if (!(*args.rate > 0) || !std::isfinite(*args.rate) || *args.rate > kMaxRate) {
      return make_error("--rate {}: give a rate above 0 and at most {:g} requests/s", *args.rate,
                        kMaxRate);
    }
    engine.rate = *args.rate;
  }
  if (args.duration.empty() && !args.requests) {
    return make_error(
        "neither --duration nor --requests: bound the session, e.g. --duration 30s or --requests "
        "1000");
  }
  if (!args.duration.empty()) {
    auto d = duration_ns("--duration", args.duration);
    if (!d) return d.error();
    engine.duration_ns = *d;
  }
  if (args.requests) {
    if (*args.requests < 1 || *args.requests > kMaxRequests) {
      return make_error("--requests {}: give 1 to {}", *args.requests, kMaxRequests);
    }
    engine.max_requests = *args.requests;
  }
  if (args.connections < 1 || args.connections > kMaxConnections) {
    return make_error("--connections {}: give 1 to {}", args.connections, kMaxConnections);
  }
  engine.connections = args.connections;
  auto timeout = duration_ns("--timeout", args.timeout);
  if (!timeout) return timeout.error();
  engine.timeout_ns = *timeout;
  if (!(args.warmup_s >= 0) || args.warmup_s > 3600) {
    return make_error("--warmup-s {}: give 0 to 3600 seconds", args.warmup_s);
  }
  engine.warmup_ns = static_cast<int64_t>(std::llround(args.warmup_s * 1e9));
  engine.seed = args.seed;
  auto slice = duration_ns("--slice", args.slice);
  if (!slice) return slice.error();
  if (*slice < 10'000'000)
    return make_error("--slice {}: give at least 10ms (a slice is one run in the history)",
                      args.slice);
  plan.slice_ns = *slice;
  auto ready = parse_duration_seconds(args.ready_timeout);
  if (!ready) return ready.error().with_context("--ready-timeout");
  plan.ready_timeout_s = *ready;
  if (!args.server_command.empty() && args.server_log.empty())
    return make_error("--server-log: give a file name");
  if (args.name.empty()) return make_error("--name: give a non-empty name");
  // The measured window's expected length: the duration, or the requests at the rate (open loop).
  std::optional<int64_t> window_ns = engine.duration_ns;
  if (engine.max_requests && !args.closed_loop) {
    const auto at_rate = static_cast<int64_t>(
        std::ceil(static_cast<double>(*engine.max_requests) / engine.rate * 1e9));
    window_ns = window_ns ? std::min(*window_ns, at_rate) : at_rate;
  }
  if (window_ns) {  // warmup slices are runs too (flagged warmup), so the history counts them
    plan.planned_slices = static_cast<int>((*window_ns + plan.slice_ns - 1) / plan.slice_ns +
                                           (engine.warmup_ns + plan.slice_ns - 1) / plan.slice_ns);
  }
  if (!args.slo.empty() && !args.find_peak) {
    return make_error(
        "--slo without --find-peak: the SLO judges the steps of a peak search; add --find-peak "
        "(or drop --slo)");
  }
  if (args.find_peak) {
    if (args.closed_loop)
      return make_error(
          "--find-peak with --closed-loop: the search sets open-loop rates; drop --closed-loop");
    if (args.slo.empty())
      return make_error("--find-peak needs --slo, e.g. --slo p99=50ms (or p99=50ms,errors=1%)");
    if (!engine.duration_ns)
      return make_error(
          "--find-peak needs --duration: the length of every step, e.g. --duration 10s");
    if (!args.csv.empty())
      return make_error(
          "--csv with --find-peak: request ids and times restart at every step; use --json (it "
          "holds every step) or a single --rate with --csv");
    auto slo = parse_slo(args.slo);
    if (!slo) return slo.error();
    if (!(args.peak_tolerance > 0) || args.peak_tolerance > 1)
      return make_error(
          "--peak-tolerance {}: give a relative bracket width above 0 and at most 1, "
          "e.g. 0.05",
          args.peak_tolerance);
    if (args.peak_max_steps < 1 || args.peak_max_steps > 100)
      return make_error("--peak-max-steps {}: give 1 to 100", args.peak_max_steps);
    // A quarter more than the SLO needs: Poisson arrivals scatter the count
    // (300 expected often gives fewer than p99's 299).
    const auto needed =
        static_cast<int64_t>(std::ceil(1.25 * static_cast<double>(min_requests_for(*slo))));
    const double per_step = engine.rate * static_cast<double>(*engine.duration_ns) / 1e9;
    if (per_step < static_cast<double>(needed)) {
      return make_error(
          "--find-peak: a step of --duration {} at the start --rate {:g} holds about {:.0f} "
          "requests, and the SLO's tail bound needs {} (its 95% interval's count and a quarter for "
          "Poisson scatter); raise --duration or "
          "--rate",
          args.duration, engine.rate, per_step, needed);
    }
    PeakSearchRule rule;
    rule.start_rate = engine.rate;
    rule.tolerance = args.peak_tolerance;
    rule.max_steps = args.peak_max_steps;
    rule.max_rate = kMaxRate;
    // Below this a step could not hold the requests the SLO needs.
    rule.min_rate = static_cast<double>(needed) / (static_cast<double>(*engine.duration_ns) / 1e9);
    plan.slo = std::move(*slo);
    plan.peak = rule;
    if (window_ns)
      plan.planned_slices *= rule.max_steps;  // an upper bound: the search may stop earlier
  }
  plan.mode_text = args.closed_loop
                       ? fmt::format("closed loop, {} connection(s)", args.connections)
                       : fmt::format("open loop, {} arrivals at {:g}/s, {} connection(s)",
                                     arrival_name(engine.arrival), engine.rate, args.connections);
  return plan;
}

Expected<LoadTarget> resolve_load_target(const LoadArguments& args, const std::string& origin) {
  LoadTarget target;
  target.url_text = args.url.front() == '/' ? origin + args.url : args.url;
  auto url = parse_target_url(target.url_text);
  if (!url) return url.error();
  auto address = resolve_target(*url, args.allow_remote);
  if (!address) return address.error();
  target.address = *address;
  RequestSpec spec;
  spec.url = *url;
  spec.headers = args.headers;
  if (!args.body_file.empty()) {
    std::ifstream in(args.body_file, std::ios::binary);
    if (!in)
      return make_error("--body-file '{}': cannot read it; give an existing file", args.body_file);
    spec.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  spec.method = !args.method.empty() ? args.method : (args.body_file.empty() ? "GET" : "POST");
  auto request = build_request(spec);
  if (!request) return request.error();
  target.request = std::move(request).value();
  return target;
}

nlohmann::json options_json(const LoadArguments& args, const LoadSessionPlan& plan,
                            const std::string& url_text) {
  nlohmann::json j{
      {"load", true},
      {"url", url_text},
      {"method", args.method.empty() ? (args.body_file.empty() ? "GET" : "POST") : args.method},
      {"headers", args.headers},
      {"body_file", args.body_file},
      {"closed_loop", args.closed_loop},
      {"arrival", args.closed_loop ? nlohmann::json() : nlohmann::json(args.arrival)},
      {"rate", args.rate ? nlohmann::json(*args.rate) : nlohmann::json()},
      {"duration", args.duration},
      {"requests", args.requests ? nlohmann::json(*args.requests) : nlohmann::json()},
      {"connections", args.connections},
      {"timeout", args.timeout},
      {"warmup_s", args.warmup_s},
      {"seed", args.seed},
      {"slice_s", static_cast<double>(plan.slice_ns) / 1e9},
      {"server_command", args.server_command}};
  if (args.find_peak) {
    j["find_peak"] = true;
    j["slo"] = args.slo;
    j["peak_tolerance"] = args.peak_tolerance;
    j["peak_max_steps"] = args.peak_max_steps;
  }
  return j;
}

}  // namespace coldbench::load
