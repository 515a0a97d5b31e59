#pragma once
// The per-request CSV (--csv), streamed: one row per finished request,
// written in batches as the session goes, so an interrupted session keeps
// every row measured. Times are ns since the schedule's time 0.

#include <cstdint>
#include <string>

#include "core/expected.hpp"
#include "core/fd.hpp"
#include "load/request_record.hpp"

namespace coldbench::load {

inline constexpr const char* kRequestCsvHeader =
    "id,intended_ns,sent_ns,done_ns,latency_ns,service_ns,status,error,bytes,warmup\n";

// One row (with its newline) for `record`, times relative to `origin_ns`.
std::string request_csv_row(const RequestRecord& record, int64_t origin_ns);

class RequestCsv {
 public:
  static Expected<RequestCsv> create(const std::string& path);
  void set_origin(int64_t origin_ns) { origin_ns_ = origin_ns; }
  void add(const RequestRecord& record) { pending_ += request_csv_row(record, origin_ns_); }
  // Writes the rows added so far.
  Expected<void> flush();
  const std::string& path() const { return path_; }

 private:
  RequestCsv(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Fd fd_;
  std::string path_;
  std::string pending_;
  int64_t origin_ns_ = 0;
};

}  // namespace coldbench::load
