#include "core/clock.hpp"

#include <sys/time.h>
#include <time.h>

#include <fmt/format.h>

#include "coldbench/marker.hpp"

namespace coldbench {

// The marker client's clock, by definition: a workload's "t" and the
// harness's timestamps must come from one function.
int64_t monotonic_ns() { return marker::monotonic_ns(); }

std::string utc_timestamp() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ts.tv_nsec / 1'000'000);
}

}  // namespace coldbench
