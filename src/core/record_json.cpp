#include "core/record_json.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "core/json_text.hpp"

namespace coldbench {
namespace {

using nlohmann::json;

// A field of a results file that holds the wrong value (reported like
// nlohmann's type errors: the import fails with the message).
struct FieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// nlohmann's get<int>() converts a double with static_cast (1e300 -> int is
// undefined behaviour) and wraps integers that do not fit: check first.
template <class T>
T integer_value(const json& value, const char* key) {
  static_assert(std::is_signed_v<T>);
  constexpr T low = std::numeric_limits<T>::min(), high = std::numeric_limits<T>::max();
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() <= static_cast<uint64_t>(high)) return static_cast<T>(value.get<uint64_t>());
  } else if (value.is_number_integer()) {
    const int64_t i = value.get<int64_t>();
    if (i >= low && i <= high) return static_cast<T>(i);
  } else if (value.is_number_float()) {
    // -low is 2^(bits-1) exactly, the first double past the range.
    const double d = value.get<double>();
    if (d == std::trunc(d) && d >= static_cast<double>(low) && d < -static_cast<double>(low)) return static_cast<T>(d);
  }
  throw FieldError(fmt::format("\"{}\" must be an integer from {} to {}, not {}", key, low, high,
                               value.is_number() ? json_text(value) : std::string(value.type_name())));
}

// The field's integer, or `fallback` when the object has no such key.
template <class T>
T integer_field(const json& object, const char* key, T fallback) {
  auto it = object.find(key);
  return it == object.end() ? fallback : integer_value<T>(*it, key);
}

template <class T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

template <class T>
void read_optional(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if constexpr (std::is_integral_v<T>) {
    out = integer_value<T>(*it, key);
  } else {
    out = it->get<T>();
  }
}

json cgroup_json(const CgroupStats& c) {
  return json{{"cpu_usage_ms", optional_json(c.cpu_usage_ms)},
              {"periods", optional_json(c.periods)},
              {"throttled_periods", optional_json(c.throttled_periods)},
              {"throttled_ms", optional_json(c.throttled_ms)},
              {"memory_peak_bytes", optional_json(c.memory_peak_bytes)},
              {"oom_kills", optional_json(c.oom_kills)}};
}

json limits_json(const AppliedLimits& l) {
  return json{{"cpus", optional_json(l.cpus)},
              {"cpuset", l.cpuset},
              {"memory_bytes", optional_json(l.memory_bytes)},
              {"affinity", l.affinity},
              {"effective_cpus", optional_json(l.effective_cpus)},
              {"threads", l.threads},
              {"cgroup", l.cgroup}};
}

json residency_json(const ResidencySnapshot& r) {
  json least = json::array();
  for (const auto& f : r.least_resident) {
    least.push_back({{"path", f.path}, {"size_bytes", f.size_bytes}, {"resident_bytes", f.resident_bytes}});
  }
  return json{{"cache_mode", r.cache_mode},           {"tracked_files", r.tracked_files},
              {"total_bytes", r.total_bytes},         {"resident_bytes", r.resident_bytes},
              {"resident_fraction", r.fraction()},    {"least_resident", least}};
}

json cache_reads_json(const CacheReads& r) {
  json top = json::array();
  for (const auto& f : r.top) {
    top.push_back({{"path", f.path},
                   {"size_bytes", f.size_bytes},
                   {"resident_before", f.resident_before},
                   {"resident_after", f.resident_after},
                   {"read_bytes", f.read_bytes()}});
  }
  json floor = nullptr;
  if (r.floor) {
    floor = {{"bytes", r.floor->bytes},
             {"ms", r.floor->ms},
             {"method", r.floor->method},
             {"bytes_per_s", r.floor->bytes_per_s()}};
  }
  json left = json::array();
  for (const auto& f : r.left_resident) {
    json mappers = json::array();
    for (const auto& m : f.mappers) mappers.push_back({{"pid", m.pid}, {"command", m.command}});
    left.push_back({{"path", f.path},
                    {"size_bytes", f.size_bytes},
                    {"resident_bytes", f.resident_bytes},
                    {"mapped_by", mappers}});
  }
  return json{{"read_bytes", r.read_bytes},
              {"files_read", r.files_read},
              {"left_resident", left},
              {"top", top},
              {"sequential_floor", floor},
              {"prefetched_bytes", optional_json(r.prefetched_bytes)},
              {"prefetch_ms", optional_json(r.prefetch_ms)},
              {"prefetch_completed", optional_json(r.prefetch_completed)}};
}

CacheReads cache_reads_from_json(const json& j) {
  CacheReads r;
  r.read_bytes = integer_field(j, "read_bytes", int64_t{0});
  r.files_read = integer_field(j, "files_read", int64_t{0});
  for (const auto& f : j.value("top", json::array())) {
    if (!f.is_object()) continue;
    r.top.push_back(FileRead{f.value("path", ""), integer_field(f, "size_bytes", int64_t{0}),
                             integer_field(f, "resident_before", int64_t{0}),
                             integer_field(f, "resident_after", int64_t{0})});
  }
  if (auto it = j.find("sequential_floor"); it != j.end() && it->is_object()) {
    SequentialFloor floor;
    floor.bytes = integer_field(*it, "bytes", int64_t{0});
    floor.ms = it->value("ms", 0.0);
    floor.method = it->value("method", "");
    r.floor = floor;
  }
  read_optional(j, "prefetched_bytes", r.prefetched_bytes);
  read_optional(j, "prefetch_ms", r.prefetch_ms);
  for (const auto& f : j.value("left_resident", json::array())) {
    if (!f.is_object()) continue;
    LeftResident left{f.value("path", ""), integer_field(f, "size_bytes", int64_t{0}),
                      integer_field(f, "resident_bytes", int64_t{0}), {}};
    for (const auto& m : f.value("mapped_by", json::array())) {
      if (m.is_object()) left.mappers.push_back(FileMapper{int(integer_field(m, "pid", int64_t{0})), m.value("command", "")});
    }
    r.left_resident.push_back(std::move(left));
  }
  if (auto it = j.find("prefetch_completed"); it != j.end() && it->is_boolean()) r.prefetch_completed = it->get<bool>();
  return r;
}

json machine_json(const MachineNoise& m) {
  return json{{"load_1m_start", optional_json(m.load_1m_start)},
              {"load_1m_end", optional_json(m.load_1m_end)},
              {"cpus", optional_json(m.cpus)},
              {"interval_ms", optional_json(m.interval_ms)},
              {"busy_cpu_ms", optional_json(m.busy_cpu_ms)},
              {"harness_cpu_ms", optional_json(m.harness_cpu_ms)},
              {"other_cpu_ms", optional_json(m.other_cpu_ms)},
              {"other_cpu_fraction", optional_json(m.other_cpu_fraction)},
              {"steal_fraction", optional_json(m.steal_fraction)},
              {"iowait_fraction", optional_json(m.iowait_fraction)},
              {"cpu_freq_mhz", optional_json(m.cpu_freq_mhz)},
              {"cpu_governor", m.cpu_governor.empty() ? json(nullptr) : json(m.cpu_governor)}};
}

MachineNoise machine_from_json(const json& j) {
  MachineNoise m;
  read_optional(j, "load_1m_start", m.load_1m_start);
  read_optional(j, "load_1m_end", m.load_1m_end);
  read_optional(j, "cpus", m.cpus);
  read_optional(j, "interval_ms", m.interval_ms);
  read_optional(j, "busy_cpu_ms", m.busy_cpu_ms);
  read_optional(j, "harness_cpu_ms", m.harness_cpu_ms);
  read_optional(j, "other_cpu_ms", m.other_cpu_ms);
  read_optional(j, "other_cpu_fraction", m.other_cpu_fraction);
  read_optional(j, "steal_fraction", m.steal_fraction);
  read_optional(j, "iowait_fraction", m.iowait_fraction);
  read_optional(j, "cpu_freq_mhz", m.cpu_freq_mhz);
  if (auto it = j.find("cpu_governor"); it != j.end() && !it->is_null()) m.cpu_governor = it->get<std::string>();
  return m;
}

}  // namespace

json to_json(const RunRecord& run) {
  json phases = json::array();
  for (const auto& p : run.phases) {
    phases.push_back({{"name", p.name},
                      {"end_ms", p.end_ms},
                      {"duration_ms", p.duration_ms},
                      {"source", p.source == PhaseSource::Marker ? "marker" : "regex"}});
  }
  json metrics = json::array();
  for (const auto& m : run.metrics) {
    metrics.push_back({{"name", m.name}, {"unit", m.unit}, {"values", m.values}});
  }
  json info = json::object();
  for (const auto& [k, v] : run.info) info[k] = v;
  json labels = json::object();
  for (const auto& [k, v] : run.labels) labels[k] = v;

  json j{{"command", run.command},
         {"command_index", run.command_index},
         {"index", run.index},
         {"sequence", run.sequence},
         {"warmup", run.warmup},
         {"started_at", run.started_at},
         {"wall_ms", run.wall_ms},
         {"setup_ms", run.setup_ms},
         {"exit_code", optional_json(run.exit_code)},
         {"signal", optional_json(run.signal)},
         {"timed_out", run.timed_out},
         {"oom_killed", run.oom_killed},
         {"succeeded", run.succeeded()},
         {"error", run.error},
         {"cpu", {{"user_ms", run.usage.user_ms}, {"system_ms", run.usage.system_ms}}},
         {"max_rss_kb", run.usage.max_rss_kb},
         {"page_faults", {{"minor", run.usage.minor_faults}, {"major", run.usage.major_faults}}},
         {"context_switches",
          {{"voluntary", run.usage.voluntary_switches}, {"involuntary", run.usage.involuntary_switches}}},
         {"phases", phases},
         {"metrics", metrics},
         {"info", info},
         {"malformed_markers", run.malformed_markers},
         {"warnings", run.warnings},
         {"output_tail", run.output_tail},
         {"cgroup", run.cgroup ? cgroup_json(*run.cgroup) : json(nullptr)},
         {"limits", run.limits ? limits_json(*run.limits) : json(nullptr)},
         {"residency", run.residency ? residency_json(*run.residency) : json(nullptr)},
         {"cache_reads", run.cache_reads ? cache_reads_json(*run.cache_reads) : json(nullptr)},
         {"machine", run.machine ? machine_json(*run.machine) : json(nullptr)},
         {"isolation", run.isolation.empty() ? "host" : run.isolation},
         {"labels", labels}};
  return j;
}

json to_json(const CommandSpec& command) {
  return json{{"name", command.name}, {"command", command.text}, {"argv", command.argv}, {"shell", command.shell}};
}

json to_json(const HostInfo& host) {
  return json{{"hostname", host.hostname},
              {"kernel", host.kernel},
              {"cpu_model", host.cpu_model},
              {"online_cpus", host.online_cpus},
              {"memory_bytes", host.memory_bytes}};
}

json document_header_json(const ResultsDocument& document) {
  json commands = json::array();
  for (const auto& c : document.commands) commands.push_back(to_json(c));
  json header{{"schema", kResultsSchema},
              {"tool", {{"name", "coldbench"}, {"version", document.tool_version}}},
              {"started_at", document.started_at},
              {"finished_at", document.finished_at},
              {"interrupted", document.interrupted},
              {"host", to_json(document.host)},
              {"options", document.options},
              {"commands", commands}};
  if (!document.adaptive.is_null()) header["adaptive"] = document.adaptive;
  return header;
}

json to_json(const ResultsDocument& document) {
  json j = document_header_json(document);
  json runs = json::array();
  for (const auto& r : document.runs) runs.push_back(to_json(r));
  j["runs"] = std::move(runs);
  return j;
}

Expected<RunRecord> run_from_json(const json& j) {
  try {
    RunRecord run;
    run.command = j.at("command").get<std::string>();
    run.command_index = integer_field(j, "command_index", 0);
    run.index = integer_field(j, "index", 0);
    run.sequence = integer_field(j, "sequence", 0);
    run.warmup = j.value("warmup", false);
    run.started_at = j.value("started_at", "");
    run.wall_ms = j.at("wall_ms").get<double>();
    run.setup_ms = j.value("setup_ms", 0.0);
    read_optional(j, "exit_code", run.exit_code);
    read_optional(j, "signal", run.signal);
    run.timed_out = j.value("timed_out", false);
    run.oom_killed = j.value("oom_killed", false);
    run.error = j.value("error", "");
    if (auto it = j.find("cpu"); it != j.end()) {
      run.usage.user_ms = it->value("user_ms", 0.0);
      run.usage.system_ms = it->value("system_ms", 0.0);
    }
    run.usage.max_rss_kb = integer_field(j, "max_rss_kb", int64_t{0});
    if (auto it = j.find("page_faults"); it != j.end()) {
      run.usage.minor_faults = integer_field(*it, "minor", int64_t{0});
      run.usage.major_faults = integer_field(*it, "major", int64_t{0});
    }
    if (auto it = j.find("context_switches"); it != j.end()) {
      run.usage.voluntary_switches = integer_field(*it, "voluntary", int64_t{0});
      run.usage.involuntary_switches = integer_field(*it, "involuntary", int64_t{0});
    }
    for (const auto& p : j.value("phases", json::array())) {
      PhaseRecord phase;
      phase.name = p.at("name").get<std::string>();
      phase.end_ms = p.at("end_ms").get<double>();
      phase.duration_ms = p.at("duration_ms").get<double>();
      phase.source = p.value("source", "marker") == "regex" ? PhaseSource::Regex : PhaseSource::Marker;
      run.phases.push_back(std::move(phase));
    }
    for (const auto& m : j.value("metrics", json::array())) {
      run.metrics.push_back(MetricRecord{m.at("name").get<std::string>(), m.value("unit", ""),
                                         m.at("values").get<std::vector<double>>()});
    }
    // Named copies: iterating items() of the temporary j.value() returns would
    // read a destroyed object (the range-for only extends the proxy's lifetime).
    const json info = j.value("info", json::object());
    for (const auto& [k, v] : info.items()) run.info[k] = v;
    const json labels = j.value("labels", json::object());
    for (const auto& [k, v] : labels.items()) run.labels[k] = v.get<std::string>();
    run.malformed_markers = integer_field(j, "malformed_markers", 0);
    run.warnings = j.value("warnings", std::vector<std::string>{});
    run.output_tail = j.value("output_tail", "");
    if (auto it = j.find("cgroup"); it != j.end() && it->is_object()) {
      CgroupStats c;
      read_optional(*it, "cpu_usage_ms", c.cpu_usage_ms);
      read_optional(*it, "periods", c.periods);
      read_optional(*it, "throttled_periods", c.throttled_periods);
      read_optional(*it, "throttled_ms", c.throttled_ms);
      read_optional(*it, "memory_peak_bytes", c.memory_peak_bytes);
      read_optional(*it, "oom_kills", c.oom_kills);
      run.cgroup = c;
    }
    if (auto it = j.find("limits"); it != j.end() && it->is_object()) {
      AppliedLimits l;
      read_optional(*it, "cpus", l.cpus);
      l.cpuset = it->value("cpuset", "");
      read_optional(*it, "memory_bytes", l.memory_bytes);
      l.affinity = it->value("affinity", "");
      read_optional(*it, "effective_cpus", l.effective_cpus);
      l.threads = it->value("threads", "");
      l.cgroup = it->value("cgroup", "");
      run.limits = l;
    }
    run.isolation = j.value("isolation", "host");
    if (run.isolation == "host") run.isolation.clear();
    if (auto it = j.find("residency"); it != j.end() && it->is_object()) {
      ResidencySnapshot r;
      r.cache_mode = it->value("cache_mode", "");
      r.tracked_files = integer_field(*it, "tracked_files", int64_t{0});
      r.total_bytes = integer_field(*it, "total_bytes", int64_t{0});
      r.resident_bytes = integer_field(*it, "resident_bytes", int64_t{0});
      for (const auto& f : it->value("least_resident", json::array())) {
        r.least_resident.push_back(FileResidency{f.value("path", ""), integer_field(f, "size_bytes", int64_t{0}),
                                                 integer_field(f, "resident_bytes", int64_t{0})});
      }
      run.residency = r;
    }
    if (auto it = j.find("cache_reads"); it != j.end() && it->is_object()) run.cache_reads = cache_reads_from_json(*it);
    if (auto it = j.find("machine"); it != j.end() && it->is_object()) run.machine = machine_from_json(*it);
    return run;
  } catch (const json::exception& e) {
    return make_error("malformed run record: {}", e.what());
  } catch (const FieldError& e) {
    return make_error("malformed run record: {}", e.what());
  }
}

Expected<ResultsDocument> document_from_json(const json& j) {
  // Compared as JSON: j.value("schema", "") throws when the tag is not a string.
  if (!j.is_object() || !j.contains("schema") || j["schema"] != kResultsSchema) {
    return make_error("not a coldbench results file (expected \"schema\": \"{}\")", kResultsSchema);
  }
  try {
    ResultsDocument doc;
    doc.tool_version = j.at("tool").value("version", "");
    doc.started_at = j.value("started_at", "");
    doc.finished_at = j.value("finished_at", "");
    doc.interrupted = j.value("interrupted", false);
    if (auto it = j.find("host"); it != j.end()) {
      doc.host.hostname = it->value("hostname", "");
      doc.host.kernel = it->value("kernel", "");
      doc.host.cpu_model = it->value("cpu_model", "");
      doc.host.online_cpus = integer_field(*it, "online_cpus", 0);
      doc.host.memory_bytes = integer_field(*it, "memory_bytes", int64_t{0});
    }
    doc.options = j.value("options", json::object());
    if (auto it = j.find("adaptive"); it != j.end() && it->is_object()) doc.adaptive = *it;
    for (const auto& c : j.at("commands")) {
      doc.commands.push_back(CommandSpec{c.at("name").get<std::string>(), c.value("command", ""),
                                         c.value("argv", std::vector<std::string>{}), c.value("shell", false)});
    }
    for (const auto& r : j.at("runs")) {
      auto run = run_from_json(r);
      if (!run) return run.error();
      doc.runs.push_back(std::move(run).value());
    }
    return doc;
  } catch (const json::exception& e) {
    return make_error("malformed results file: {}", e.what());
  } catch (const FieldError& e) {
    return make_error("malformed results file: {}", e.what());
  }
}

}  // namespace coldbench
