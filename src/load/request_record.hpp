#pragma once
// One request of a load session, as measured. Latency counts from the
// schedule's intended send time, service time from the actual send: the two
// differ exactly by the time a request waited for the server to catch up.

#include <cstdint>
#include <string>

namespace coldbench::load {

enum class RequestError : uint8_t {
  None,      // a response came (any status)
  Connect,   // the connection could not be opened
  Reset,     // closed or reset before the response was complete
  Timeout,   // no complete response within --timeout of the send
  Protocol,  // the bytes were not an HTTP/1.1 response
};
const char* request_error_name(RequestError error);

struct RequestRecord {
  int64_t id = 0;           // 0.. in schedule order
  int64_t intended_ns = 0;  // CLOCK_MONOTONIC: when the schedule meant it to go
  int64_t sent_ns = 0;      // when its first byte was written (0: never sent)
  int64_t done_ns = 0;      // response complete, or the error noticed
  int status = 0;           // HTTP status; 0 when there was no response
  RequestError error = RequestError::None;
  int64_t bytes = 0;    // response bytes, head included
  bool warmup = false;  // intended before the warmup ended: not in the statistics
  int16_t arm = -1;     // which arm served it (A/B; -1: none)

  bool answered() const { return error == RequestError::None; }
  // Response complete - intended send time: what a client on this schedule waited.
  int64_t latency_ns() const { return done_ns - intended_ns; }
  // Response complete - actual send: what the server took once it had the request.
  int64_t service_ns() const { return done_ns - (sent_ns > 0 ? sent_ns : intended_ns); }
};

}  // namespace coldbench::load
