#pragma once
// The load engine: arrivals from the schedule go out over a pool of keep-alive
// HTTP/1.1 connections driven by one epoll loop. An arrival that finds every
// connection busy waits for one; its latency still counts from its intended
// time. Closed-loop mode instead sends on each connection as soon as its
// previous answer is in (saturation throughput, what wrk measures).

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/expected.hpp"
#include "load/arrival.hpp"
#include "load/request_record.hpp"
#include "load/target_url.hpp"

namespace coldbench::load {

struct LoadPlan {
  ResolvedAddress address;
  std::string request;  // the whole request, head and body, sent as is for every arrival
  ArrivalKind arrival = ArrivalKind::Poisson;
  double rate = 0;  // per second (open loop)
  uint64_t seed = 1;
  bool closed_loop = false;
  int connections = 1;
  int64_t warmup_ns = 0;                // before the measured window; its requests are flagged
  std::optional<int64_t> duration_ns;   // of the measured window
  std::optional<int64_t> max_requests;  // measured requests
  int64_t timeout_ns = 10'000'000'000;  // per request, from its intended send time
};

// What the loop has settled so far, for slicing and progress.
struct LoadTick {
  int64_t now_ns = 0;
  // Every request intended before this time is finished (recorded).
  int64_t settled_before_ns = 0;
};

class LoadObserver {
 public:
  virtual ~LoadObserver() = default;
  // Time 0 of the schedule and the measured window's start (after the warmup).
  virtual void on_start(int64_t /*start_ns*/, int64_t /*measure_start_ns*/) {}
  virtual void on_request(const RequestRecord& record) = 0;
  // About every loop turn; cheap observers only (they rate-limit themselves).
  virtual void on_tick(const LoadTick&) {}
};

struct LoadOutcome {
  int64_t start_ns = 0;          // the schedule's time 0 (warmup starts here)
  int64_t measure_start_ns = 0;  // start + warmup
  int64_t schedule_end_ns = 0;   // the measured window's end as scheduled (or when it stopped)
  int64_t last_done_ns = 0;      // the last measured request finished
  int64_t scheduled = 0;         // measured requests the schedule produced
  int64_t unfinished = 0;        // in flight or waiting when interrupted
  bool interrupted = false;
};

// Runs the plan to its end (duration or count, then every request answered or
// timed out). `stop` is polled; when it returns true the loop ends at once
// with `interrupted`, leaving unfinished requests unrecorded.
Expected<LoadOutcome> run_load(const LoadPlan& plan, LoadObserver& observer,
                               const std::function<bool()>& stop);

}  // namespace coldbench::load
