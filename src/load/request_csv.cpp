#include "load/request_csv.hpp"

#include <errno.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>

#include "core/output_file.hpp"

namespace coldbench::load {

std::string request_csv_row(const RequestRecord& r, int64_t origin_ns) {
  return fmt::format("{},{},{},{},{},{},{},{},{},{}\n", r.id, r.intended_ns - origin_ns,
                     r.sent_ns > 0 ? r.sent_ns - origin_ns : -1, r.done_ns - origin_ns,
                     r.latency_ns(), r.sent_ns > 0 ? r.service_ns() : -1, r.status,
                     request_error_name(r.error), r.bytes, r.warmup ? 1 : 0);
}

Expected<RequestCsv> RequestCsv::create(const std::string& path) {
  auto fd = replace_file(path, kRequestCsvHeader);
  if (!fd) return fd.error().with_context("--csv");
  return RequestCsv(std::move(fd).value(), path);
}

Expected<void> RequestCsv::flush() {
  std::size_t at = 0;
  while (at < pending_.size()) {
    ssize_t n = write(fd_.get(), pending_.data() + at, pending_.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("--csv {}: write failed: {}", path_, std::strerror(errno));
    at += static_cast<std::size_t>(n);
  }
  pending_.clear();
  return {};
}

}  // namespace coldbench::load
