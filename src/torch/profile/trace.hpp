#pragma once
// Chrome trace-event JSON for one profiler window, written by us: LibTorch
// 1.13 from Debian has no Kineto, hence no trace saver. The layout follows
// what PyTorch's Kineto traces contain, so the same viewers read it:
// - chrome://tracing and Perfetto: {"traceEvents": [...]}; ops and user
//   ranges are complete events ("ph":"X", ts/dur in microseconds);
// - TensorBoard's PyTorch profiler plugin: files named
//   <worker>.<epoch ms>.pt.trace.json, categories "cpu_op" and
//   "user_annotation", "ProfilerStep#N" ranges, "[memory]" instant events
//   with "Bytes"/"Total Allocated", "Input Dims" and "Call stack" args.
// Memory is also a counter track ("ph":"C") of the bytes allocated.
// Timestamps count from the window's trace base; "baseTimeNanoseconds" (as in
// newer Kineto traces) gives that base in Unix-epoch nanoseconds.

#include <cstdint>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "torch/profile/events.hpp"

namespace coldbench::workload {

struct TraceContext {
  std::string process_name = "coldbench-torch";
  int64_t pid = 0;
  std::map<std::string, std::string> other_data;  // written under "otherData"
};

void write_trace(const ProfileWindow& window, const TraceContext& context, std::ostream& out);

// "<host>_<pid>" as torch.profiler.tensorboard_trace_handler names workers;
// characters that would break the file-name pattern become '_'.
std::string worker_name(std::string_view hostname, int64_t pid);

// "<worker>.<epoch_ms>.pt.trace.json"
std::string trace_file_name(std::string_view worker, int64_t epoch_ms);

// Creates `dir` if needed and writes the window there under trace_file_name
// (the window's end time; bumped by a millisecond while the name is taken).
// Written to a temporary name and renamed, so a viewer never reads half a file.
Expected<std::filesystem::path> write_trace_file(const ProfileWindow& window,
                                                 const TraceContext& context,
                                                 const std::filesystem::path& dir,
                                                 std::string_view worker);

// A JSON string literal (quotes included): escapes quotes, backslashes and
// control characters; invalid UTF-8 becomes U+FFFD.
void append_json_string(std::string& out, std::string_view text);

// Nanoseconds as microseconds with three decimals ("1234.567"), from integers
// so that Unix-epoch times keep their nanoseconds.
std::string format_trace_us(int64_t ns);

}  // namespace coldbench::workload
