#include "torch/profile/trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <sstream>
#include <system_error>

#include "core/output_file.hpp"

namespace coldbench::workload {
namespace fs = std::filesystem;
namespace {

const char* category(EventKind kind) {
  return kind == EventKind::kAnnotation ? "user_annotation" : "cpu_op";
}

// Length of the valid UTF-8 sequence at text[i], or 0 if there is none.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t min_code = 0;
  uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, min_code = 0x80, code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, min_code = 0x800, code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, min_code = 0x10000, code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

void append_dims(std::string& out, const std::vector<std::vector<int64_t>>& dims) {
  out += '[';
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) out += ", ";
    out += '[';
    for (size_t k = 0; k < dims[i].size(); ++k) {
      if (k) out += ", ";
      out += std::to_string(dims[i][k]);
    }
    out += ']';
  }
  out += ']';
}

void append_strings(std::string& out, const std::vector<std::string>& values) {
  out += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    append_json_string(out, values[i]);
  }
  out += ']';
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// The enclosing ranges of an op, outermost first: "ProfilerStep#3 > forward".
std::string scope_chain(const ProfileWindow& window, size_t index) {
  std::vector<std::string> names;
  for (int64_t parent = window.ops[index].parent;
       parent >= 0 && static_cast<size_t>(parent) < window.ops.size();
       parent = window.ops[parent].parent) {
    names.push_back(window.ops[parent].name);
    if (names.size() > 64) break;  // a corrupt parent chain must not loop forever
  }
  std::reverse(names.begin(), names.end());
  return joined(names, " > ");
}

std::string memory_track_name(const MemoryEvent& event) {
  if (event.device_type == 0) return "Memory allocated (CPU)";
  return fmt::format("Memory allocated (device type {} #{})", event.device_type,
                     event.device_index);
}

class EventList {
 public:
  explicit EventList(std::ostream& out) : out_(out) {}
  void add(const std::string& event) {
    out_ << (first_ ? "\n    " : ",\n    ") << event;
    first_ = false;
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  out += '"';
}

std::string format_trace_us(int64_t ns) {
  if (ns < 0) return "-" + format_trace_us(-ns);
  return fmt::format("{}.{:03}", ns / 1000, ns % 1000);
}

std::string worker_name(std::string_view hostname, int64_t pid) {
  std::string host(hostname.empty() ? "localhost" : hostname);
  for (char& c : host) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_';
    if (!keep) c = '_';
  }
  return fmt::format("{}_{}", host, pid);
}

std::string trace_file_name(std::string_view worker, int64_t epoch_ms) {
  return fmt::format("{}.{}.pt.trace.json", worker, epoch_ms);
}

void write_trace(const ProfileWindow& window, const TraceContext& context, std::ostream& out) {
  const int64_t pid = context.pid;
  const int64_t base_ns = window.trace_base_ns != 0 ? window.trace_base_ns : window.start_ns;
  auto ts = [&](int64_t monotonic_ns) { return format_trace_us(monotonic_ns - base_ns); };

  out << "{\n  \"schemaVersion\": 1,\n";
  out << "  \"displayTimeUnit\": \"ms\",\n";
  out << "  \"deviceProperties\": [],\n";
  out << fmt::format("  \"baseTimeNanoseconds\": {},\n", base_ns + window.epoch_offset_ns);
  std::string other = "  \"otherData\": {";
  bool first_other = true;
  for (const auto& [key, value] : context.other_data) {
    other += first_other ? "" : ", ";
    append_json_string(other, key);
    other += ": ";
    append_json_string(other, value);
    first_other = false;
  }
  other += "},\n  \"traceEvents\": [";
  out << other;
  EventList events(out);

  // Metadata: process and thread names; the training thread sorts first.
  std::string line = fmt::format(
      R"({{"ph": "M", "name": "process_name", "pid": {}, "tid": 0, "args": {{"name": )", pid);
  append_json_string(line, context.process_name);
  events.add(line + "}}");
  std::vector<ThreadInfo> threads = window.threads;
  std::stable_sort(threads.begin(), threads.end(), [&](const ThreadInfo& a, const ThreadInfo& b) {
    return (a.tid == window.main_tid) > (b.tid == window.main_tid);
  });
  for (size_t i = 0; i < threads.size(); ++i) {
    line = fmt::format(
        R"({{"ph": "M", "name": "thread_name", "pid": {}, "tid": {}, "args": {{"name": )", pid,
        threads[i].tid);
    append_json_string(line, threads[i].name);
    events.add(line + "}}");
    events.add(fmt::format(
        R"({{"ph": "M", "name": "thread_sort_index", "pid": {}, "tid": {}, "args": {{"sort_index": {}}}}})",
        pid, threads[i].tid, i));
  }

  // Complete events, in start order (the longer first on ties, so parents
  // precede their children).
  std::vector<size_t> order(window.ops.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const OpEvent& x = window.ops[a];
    const OpEvent& y = window.ops[b];
    if (x.start_ns != y.start_ns) return x.start_ns < y.start_ns;
    return x.duration_ns() > y.duration_ns();
  });
  for (size_t index : order) {
    const OpEvent& op = window.ops[index];
    line = R"({"ph": "X", "cat": )";
    append_json_string(line, category(op.kind));
    line += ", \"name\": ";
    append_json_string(line, op.name);
    line +=
        fmt::format(R"(, "pid": {}, "tid": {}, "ts": {}, "dur": {}, "args": {{"External id": {})",
                    pid, op.tid, ts(op.start_ns), format_trace_us(op.duration_ns()), index + 1);
    if (op.sequence_nr >= 0) line += fmt::format(R"(, "Sequence number": {})", op.sequence_nr);
    if (op.is_op()) {
      line += R"(, "Input Dims": )";
      append_dims(line, op.input_dims);
      line += R"(, "Input type": )";
      append_strings(line, op.input_types);
    }
    if (op.device_us) line += fmt::format(R"(, "Device time us": {:.3f})", *op.device_us);
    if (!op.stack.empty()) {
      line += R"(, "Call stack": )";
      append_json_string(line, joined(op.stack, ";"));
    }
    if (window.with_stack && op.parent >= 0) {
      line += R"(, "Scope": )";
      append_json_string(line, scope_chain(window, index));
    }
    events.add(line + "}}");
  }

  // Memory: an instant event per allocator report, and the running total as
  // a counter track.
  for (const MemoryEvent& event : window.memory) {
    line = fmt::format(
        R"({{"ph": "i", "s": "t", "cat": "cpu_instant_event", "name": "[memory]", "pid": {}, "tid": {}, "ts": {}, "args": {{"Device Type": {}, "Device Id": {}, "Addr": {}, "Bytes": {}, "Total Allocated": {}, "Total Reserved": {})",
        pid, event.tid, ts(event.ts_ns), event.device_type, event.device_index, event.address,
        event.bytes, event.total_allocated, event.total_reserved);
    if (event.op >= 0 && static_cast<size_t>(event.op) < window.ops.size()) {
      line += ", \"Op\": ";
      append_json_string(line, window.ops[event.op].name);
    }
    events.add(line + "}}");
    line = R"({"ph": "C", "name": )";
    append_json_string(line, memory_track_name(event));
    line += fmt::format(R"(, "pid": {}, "tid": {}, "ts": {}, "args": {{"bytes": {}}}}})", pid,
                        event.tid, ts(event.ts_ns), event.total_allocated);
    events.add(line);
  }
  out << "\n  ]\n}\n";
}

Expected<fs::path> write_trace_file(const ProfileWindow& window, const TraceContext& context,
                                    const fs::path& dir, std::string_view worker) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error || !fs::is_directory(dir)) {
    return make_error("--trace-dir {}: cannot create the directory ({}). fix: pick a writable path",
                      dir.string(), error ? error.message() : "not a directory");
  }
  int64_t epoch_ms = (window.end_ns + window.epoch_offset_ns) / 1'000'000;
  fs::path path = dir / trace_file_name(worker, epoch_ms);
  while (fs::exists(path, error)) path = dir / trace_file_name(worker, ++epoch_ms);

  std::ostringstream trace;
  write_trace(window, context, trace);
  auto written = write_file_atomically(path.string(), trace.str());
  if (!written) {
    return make_error("--trace-dir: {}. fix: check that the directory is writable (disk full?)",
                      written.error().message);
  }
  return path;
}

}  // namespace coldbench::workload
