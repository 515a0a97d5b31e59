#include "torch/profile/collector.hpp"

#include <ATen/record_function.h>
#include <c10/core/Allocator.h>
#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <sys/syscall.h>
#include <time.h>
#include <torch/csrc/profiler/api.h>
#include <torch/csrc/profiler/orchestration/observer.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "core/clock.hpp"

namespace coldbench::workload {
namespace {

namespace tpi = torch::profiler::impl;

constexpr int kMaxFrames = 64;
constexpr size_t kMaxFrameText = 200;

int64_t epoch_offset_ns() {
  timespec mono{};
  timespec real{};
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &real);
  return (static_cast<int64_t>(real.tv_sec) - mono.tv_sec) * 1'000'000'000 +
         (real.tv_nsec - mono.tv_nsec);
}

int64_t this_tid() {
  thread_local const int64_t tid = static_cast<int64_t>(::syscall(SYS_gettid));
  return tid;
}

struct RawOp {
  std::string name;
  EventKind kind = EventKind::kOperator;
  int64_t start_ns = 0;
  int64_t end_ns = -1;  // -1: still open
  int64_t parent = -1;  // index in the same buffer
  int64_t sequence_nr = -1;
  std::vector<std::vector<int64_t>> dims;
  std::vector<std::string> types;
  std::vector<void*> frames;
  tpi::ProfilerEventStub device_start;
  tpi::ProfilerEventStub device_end;
};

// Events of one thread. Only that thread appends; stop() drains. The mutex
// is uncontended except while draining.
struct ThreadBuffer {
  int64_t tid = 0;
  std::mutex mutex;
  uint64_t generation = 0;  // the recording these events belong to
  std::vector<RawOp> ops;
  std::vector<MemoryEvent> memory;
  std::vector<int64_t> open;  // indices of ops not yet ended, innermost last

  // Called with the mutex held: events of an older recording are dropped.
  void adopt(uint64_t current) {
    if (generation == current) return;
    ops.clear();
    memory.clear();
    open.clear();
    generation = current;
  }
};

// Process-wide, never destroyed: worker threads may still report while the
// process exits.
struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<ThreadBuffer>> buffers;
  std::atomic<uint64_t> generation{0};  // 0: nothing records
  uint64_t last_generation = 0;
  CollectorSettings settings;  // written only while generation is 0
  bool device_time = false;
  bool in_use = false;        // an OpCollector is recording
  int64_t trace_base_ns = 0;  // the first recording's start: every window's time zero
};

Registry& registry() {
  static Registry* instance = new Registry;
  return *instance;
}

ThreadBuffer& this_thread_buffer() {
  thread_local ThreadBuffer* buffer = nullptr;
  if (buffer == nullptr) {
    auto owned = std::make_unique<ThreadBuffer>();
    owned->tid = this_tid();
    Registry& reg = registry();
    std::lock_guard<std::mutex> lock(reg.mutex);
    buffer = owned.get();
    reg.buffers.push_back(std::move(owned));
  }
  return *buffer;
}

EventKind kind_of(at::RecordScope scope) {
  switch (scope) {
    case at::RecordScope::BACKWARD_FUNCTION:
      return EventKind::kBackward;
    case at::RecordScope::USER_SCOPE:
      return EventKind::kAnnotation;
    default:
      return EventKind::kOperator;
  }
}

void record_inputs(const at::RecordFunction& fn, RawOp& op) {
  for (const c10::IValue& input : fn.inputs()) {
    if (input.isTensor()) {
      const at::Tensor& tensor = input.toTensor();
      if (tensor.defined()) {
        op.dims.push_back(tensor.sizes().vec());
        op.types.emplace_back(tensor.dtype().name());
      } else {
        op.dims.emplace_back();
        op.types.emplace_back("");
      }
    } else {
      op.dims.emplace_back();
      if (input.isDouble() || input.isInt() || input.isBool() || input.isScalar()) {
        op.types.emplace_back("Scalar");
      } else if (input.isNone()) {
        op.types.emplace_back("");
      } else {
        op.types.emplace_back(input.tagKind());
      }
    }
  }
}

struct OpContext : at::ObserverContext {
  ThreadBuffer* buffer = nullptr;
  uint64_t generation = 0;
  size_t index = 0;
};

std::unique_ptr<at::ObserverContext> on_enter(const at::RecordFunction& fn) {
  Registry& reg = registry();
  const uint64_t generation = reg.generation.load(std::memory_order_acquire);
  if (generation == 0) return nullptr;
  const CollectorSettings& settings = reg.settings;

  RawOp op;
  op.name = fn.name();
  op.kind = kind_of(fn.scope());
  op.sequence_nr = fn.seqNr();
  if (op.kind != EventKind::kAnnotation) {
    if (settings.record_shapes && fn.needsInputs()) record_inputs(fn, op);
    if (settings.with_stack) {
      void* frames[kMaxFrames];
      int count = ::backtrace(frames, kMaxFrames);
      op.frames.assign(frames, frames + std::max(count, 0));
    }
  }

  ThreadBuffer& buffer = this_thread_buffer();
  auto context = std::make_unique<OpContext>();
  std::lock_guard<std::mutex> lock(buffer.mutex);
  buffer.adopt(generation);
  op.parent = buffer.open.empty() ? -1 : buffer.open.back();
  context->buffer = &buffer;
  context->generation = generation;
  context->index = buffer.ops.size();
  buffer.open.push_back(static_cast<int64_t>(context->index));
  buffer.ops.push_back(std::move(op));
  RawOp& stored = buffer.ops.back();
  if (reg.device_time) tpi::cudaStubs()->record(nullptr, &stored.device_start, nullptr);
  stored.start_ns = monotonic_ns();
  return context;
}

void on_exit(const at::RecordFunction& /*fn*/, at::ObserverContext* base) {
  if (base == nullptr) return;
  const int64_t end_ns = monotonic_ns();
  auto* context = static_cast<OpContext*>(base);
  ThreadBuffer& buffer = *context->buffer;
  std::lock_guard<std::mutex> lock(buffer.mutex);
  if (buffer.generation != context->generation || context->index >= buffer.ops.size()) return;
  RawOp& op = buffer.ops[context->index];
  op.end_ns = end_ns;
  if (registry().device_time) tpi::cudaStubs()->record(nullptr, &op.device_end, nullptr);
  // Normally the innermost open op; an async op may end out of order.
  auto open =
      std::find(buffer.open.rbegin(), buffer.open.rend(), static_cast<int64_t>(context->index));
  if (open != buffer.open.rend()) buffer.open.erase(std::next(open).base());
}

// Where c10's allocators report: the profiler slot of the thread-local debug
// info. State Disabled keeps profilerEnabled() false (nothing treats this as
// a running LibTorch profiler); profile_memory turns the reports on.
class MemoryReporter final : public tpi::ProfilerStateBase {
 public:
  MemoryReporter()
      : tpi::ProfilerStateBase(tpi::ProfilerConfig(tpi::ProfilerState::Disabled,
                                                   /*report_input_shapes=*/false,
                                                   /*profile_memory=*/true)) {}

  void reportMemoryUsage(void* ptr, int64_t alloc_size, int64_t total_allocated,
                         int64_t total_reserved, c10::Device device) override {
    const uint64_t generation = registry().generation.load(std::memory_order_acquire);
    if (generation == 0) return;
    const int64_t ts = monotonic_ns();
    ThreadBuffer& buffer = this_thread_buffer();
    std::lock_guard<std::mutex> lock(buffer.mutex);
    buffer.adopt(generation);
    MemoryEvent event;
    event.ts_ns = ts;
    event.tid = buffer.tid;
    event.bytes = alloc_size;
    event.total_allocated = total_allocated;
    event.total_reserved = total_reserved;
    event.address = reinterpret_cast<uint64_t>(ptr);
    event.device_type = static_cast<int>(device.type());
    event.device_index = device.index();
    event.op = buffer.open.empty() ? -1 : buffer.open.back();
    buffer.memory.push_back(event);
  }

  tpi::ActiveProfilerType profilerType() override { return tpi::ActiveProfilerType::NONE; }
};

std::string thread_name(int64_t tid, int64_t main_tid) {
  if (tid == main_tid) return "training thread (main)";
  std::ifstream comm("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string name;
  if (comm && std::getline(comm, name) && !name.empty()) {
    return name + " (" + std::to_string(tid) + ")";
  }
  return "thread " + std::to_string(tid);
}

// Native frames as text, keeping only this program's own code: LibTorch's
// dispatcher and the collector's callback are left out, so a stack reads
// like torch.profiler's with_stack (innermost first).
class Symbolizer {
 public:
  Symbolizer() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&on_enter), &info) != 0 && info.dli_fname) {
      executable_ = info.dli_fname;
    }
  }

  std::vector<std::string> stack(const std::vector<void*>& frames) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < frames.size() && in_executable(frames[i])) ++i;  // the callback itself
    for (; i < frames.size(); ++i) {
      if (!in_executable(frames[i])) continue;
      const std::string& text = describe(frames[i]);
      if (text.rfind("main", 0) == 0 && (text.size() == 4 || text[4] == '(')) break;
      out.push_back(text);
    }
    return out;
  }

 private:
  struct Frame {
    bool ours = false;
    std::string text;
  };

  const Frame& resolve(void* address) {
    auto found = cache_.find(address);
    if (found != cache_.end()) return found->second;
    Frame frame;
    Dl_info info{};
    void* symbol_entry = nullptr;
    // The return address points after the call; look up the call itself.
    void* lookup = static_cast<char*>(address) - 1;
    if (dladdr1(lookup, &info, &symbol_entry, RTLD_DL_SYMENT) != 0) {
      const auto* symbol = static_cast<const ElfW(Sym)*>(symbol_entry);
      frame.ours = info.dli_fname && !executable_.empty() && executable_ == info.dli_fname;
      const auto offset =
          reinterpret_cast<uintptr_t>(lookup) - reinterpret_cast<uintptr_t>(info.dli_fbase);
      bool named = info.dli_sname && info.dli_saddr && symbol &&
                   reinterpret_cast<uintptr_t>(lookup) <
                       reinterpret_cast<uintptr_t>(info.dli_saddr) + symbol->st_size;
      if (named) {
        int status = 0;
        char* demangled = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
        frame.text = status == 0 && demangled ? demangled : info.dli_sname;
        std::free(demangled);
      } else {
        std::string file = info.dli_fname ? info.dli_fname : "?";
        frame.text = file.substr(file.find_last_of('/') + 1) + "+0x" + fmt_hex(offset);
      }
    }
    if (frame.text.size() > kMaxFrameText) frame.text = frame.text.substr(0, kMaxFrameText) + "...";
    return cache_.emplace(address, std::move(frame)).first->second;
  }

  static std::string fmt_hex(uintptr_t value) {
    char text[32];
    std::snprintf(text, sizeof text, "%lx", static_cast<unsigned long>(value));
    return text;
  }

  bool in_executable(void* address) { return resolve(address).ours; }
  const std::string& describe(void* address) { return resolve(address).text; }

  std::string executable_;
  std::map<void*, Frame> cache_;
};

}  // namespace

TraceRange::TraceRange(const std::string& name) {
  if (!at::hasCallbacks()) return;
  auto range = std::make_unique<at::RecordFunction>(at::RecordScope::USER_SCOPE);
  if (!range->isActive()) return;
  range->before(name);
  range_ = std::move(range);
}

TraceRange::~TraceRange() = default;

// c10's CPU allocator warns (through glog) about every block freed while
// profiling that was allocated before: in a training loop, the parameters'
// buffers, every window. The warning says nothing about the workload, so it
// is silenced while a window records; errors still show.
class QuietAllocatorWarnings {
 public:
  QuietAllocatorWarnings() {
#ifdef C10_USE_GLOG
    previous_ = FLAGS_minloglevel;
    FLAGS_minloglevel = std::max(previous_, 2);  // google::GLOG_ERROR
#endif
  }
  ~QuietAllocatorWarnings() {
#ifdef C10_USE_GLOG
    FLAGS_minloglevel = previous_;
#endif
  }
  QuietAllocatorWarnings(const QuietAllocatorWarnings&) = delete;
  QuietAllocatorWarnings& operator=(const QuietAllocatorWarnings&) = delete;

 private:
  [[maybe_unused]] int previous_ = 0;
};

struct OpCollector::Impl {
  bool recording = false;
  std::optional<QuietAllocatorWarnings> quiet;
  at::CallbackHandle handle = 0;
  bool memory_pushed = false;
  int64_t start_ns = 0;
  int64_t main_tid = 0;
  CollectorSettings settings;
};

OpCollector::OpCollector() : impl_(std::make_unique<Impl>()) {}

OpCollector::~OpCollector() {
  if (impl_ && impl_->recording) (void)stop();
}

bool OpCollector::recording() const {
  return impl_->recording;
}

Expected<void> OpCollector::start(const CollectorSettings& settings) {
  if (impl_->recording) return make_error("the profiler is already recording");
  Registry& reg = registry();
  {
    std::lock_guard<std::mutex> lock(reg.mutex);
    if (reg.in_use) return make_error("another profiler collector is recording in this process");
    reg.in_use = true;
    reg.settings = settings;
    reg.device_time = settings.device_time && tpi::cudaStubs()->enabled();
  }
  try {
    if (settings.profile_memory) {
      if (tpi::ProfilerStateBase::get(/*global=*/false) != nullptr) {
        std::lock_guard<std::mutex> lock(reg.mutex);
        reg.in_use = false;
        return make_error(
            "a LibTorch profiler is already active on this thread; coldbench's memory recording "
            "cannot share its slot");
      }
      tpi::ProfilerStateBase::push(std::make_shared<MemoryReporter>());
      impl_->memory_pushed = true;
      impl_->quiet.emplace();
    }
    impl_->handle = at::addGlobalCallback(
        at::RecordFunctionCallback(&on_enter, &on_exit)
            .needsInputs(settings.record_shapes)
            .needsIds(true)
            .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION,
                     at::RecordScope::USER_SCOPE}));
  } catch (const std::exception& error) {
    if (impl_->memory_pushed) tpi::ProfilerStateBase::pop(/*global=*/false);
    impl_->memory_pushed = false;
    impl_->quiet.reset();
    std::lock_guard<std::mutex> lock(reg.mutex);
    reg.in_use = false;
    return make_error("cannot start the profiler: {}", error.what());
  }
  impl_->settings = settings;
  impl_->main_tid = this_tid();
  impl_->recording = true;
  discard();
  return {};
}

void OpCollector::discard() {
  if (!impl_->recording) return;
  Registry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mutex);
  reg.generation.store(++reg.last_generation, std::memory_order_release);
  impl_->start_ns = monotonic_ns();
  if (reg.trace_base_ns == 0) reg.trace_base_ns = impl_->start_ns;
}

ProfileWindow OpCollector::stop() {
  ProfileWindow window;
  if (!impl_->recording) return window;
  Registry& reg = registry();
  const int64_t end_ns = monotonic_ns();
  const uint64_t generation = reg.generation.exchange(0, std::memory_order_acq_rel);
  at::removeCallback(impl_->handle);
  impl_->handle = 0;
  if (impl_->memory_pushed) tpi::ProfilerStateBase::pop(/*global=*/false);
  impl_->memory_pushed = false;
  impl_->quiet.reset();
  impl_->recording = false;
  if (reg.device_time) tpi::cudaStubs()->synchronize();

  window.start_ns = impl_->start_ns;
  window.end_ns = end_ns;
  window.epoch_offset_ns = epoch_offset_ns();
  window.trace_base_ns = reg.trace_base_ns;
  window.main_tid = impl_->main_tid;
  window.device_time = reg.device_time;
  window.with_stack = impl_->settings.with_stack;
  Symbolizer symbolizer;

  std::lock_guard<std::mutex> registry_lock(reg.mutex);
  for (const auto& owned : reg.buffers) {
    ThreadBuffer& buffer = *owned;
    std::lock_guard<std::mutex> lock(buffer.mutex);
    if (buffer.generation != generation || (buffer.ops.empty() && buffer.memory.empty())) {
      buffer.adopt(0);
      continue;
    }
    const int64_t offset = static_cast<int64_t>(window.ops.size());
    for (RawOp& raw : buffer.ops) {
      OpEvent op;
      op.name = std::move(raw.name);
      op.kind = raw.kind;
      op.tid = buffer.tid;
      op.start_ns = raw.start_ns;
      op.end_ns = raw.end_ns < 0 ? end_ns : raw.end_ns;  // still running at the end
      op.parent = raw.parent < 0 ? -1 : raw.parent + offset;
      op.sequence_nr = raw.sequence_nr;
      op.input_dims = std::move(raw.dims);
      op.input_types = std::move(raw.types);
      if (!raw.frames.empty()) op.stack = symbolizer.stack(raw.frames);
      if (reg.device_time && raw.device_start && raw.device_end) {
        op.device_us = tpi::cudaStubs()->elapsed(&raw.device_start, &raw.device_end);
      }
      window.ops.push_back(std::move(op));
    }
    for (MemoryEvent event : buffer.memory) {
      if (event.op >= 0) event.op += offset;
      window.memory.push_back(event);
    }
    window.threads.push_back({buffer.tid, thread_name(buffer.tid, window.main_tid)});
    buffer.adopt(0);
  }
  reg.device_time = false;
  reg.in_use = false;
  std::sort(window.memory.begin(), window.memory.end(),
            [](const MemoryEvent& a, const MemoryEvent& b) { return a.ts_ns < b.ts_ns; });
  return window;
}

}  // namespace coldbench::workload
