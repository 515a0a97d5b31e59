#include "load/load_engine.hpp"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>
#include <vector>

#include "core/clock.hpp"
#include "core/fd.hpp"
#include "load/http_response_parser.hpp"

namespace coldbench::load {

const char* request_error_name(RequestError error) {
  switch (error) {
    case RequestError::None:
      return "";
    case RequestError::Connect:
      return "connect";
    case RequestError::Reset:
      return "reset";
    case RequestError::Timeout:
      return "timeout";
    case RequestError::Protocol:
      return "protocol";
  }
  return "?";
}

namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int64_t kConnectWaitNs = 5'000'000'000;  // the pool's first connections, before time 0

struct Connection {
  Fd fd;
  bool connected = false;
  bool want_write = false;  // EPOLLOUT registered (connecting, or a partial write)
  bool busy = false;        // holds `request`
  RequestRecord request;
  std::size_t written = 0;
  int64_t deadline_ns = kNever;
  HttpResponseParser parser;
};

class Engine {
 public:
  Engine(const LoadPlan& plan, LoadObserver& observer)
      : plan_(plan),
        observer_(observer),
        schedule_(plan.arrival, plan.rate, plan.seed),
        connections_(static_cast<std::size_t>(plan.connections)) {}

  Expected<LoadOutcome> run(const std::function<bool()>& stop);

 private:
  Expected<void> open(std::size_t index);
  void close(Connection& c) {
    c.fd.reset();  // closing the fd removes it from the epoll set
    c.connected = c.want_write = false;
    c.parser.reset();
  }
  void set_events(std::size_t index, bool want_write);
  void finish(Connection& c, int64_t now, RequestError error);
  void start_request(std::size_t index, RequestRecord record, int64_t now);
  void write_some(std::size_t index, int64_t now);
  void read_some(std::size_t index, int64_t now);
  void on_event(std::size_t index, uint32_t events, int64_t now);
  bool next_arrival(int64_t intended, RequestRecord& record);
  void wait(int64_t until_ns);

  const LoadPlan& plan_;
  LoadObserver& observer_;
  ArrivalSchedule schedule_;
  std::vector<Connection> connections_;
  std::deque<RequestRecord> pending_;  // arrived, waiting for a free connection
  Fd epoll_;
  LoadOutcome outcome_;
  int64_t next_id_ = 0;
  int64_t measured_ = 0;
  bool generating_ = true;
};

Expected<void> Engine::open(std::size_t index) {
  Connection& c = connections_[index];
  c.fd.reset(
      socket(plan_.address.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!c.fd) return make_error("socket: {}", std::strerror(errno));
  int one = 1;
  setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one,
             sizeof one);  // small requests, no Nagle delay
  int rc = connect(c.fd.get(), reinterpret_cast<const sockaddr*>(&plan_.address.address),
                   plan_.address.length);
  if (rc != 0 && errno != EINPROGRESS) {
    const int saved = errno;
    close(c);
    return make_error("connect to {}: {}", plan_.address.text, std::strerror(saved));
  }
  c.connected = rc == 0;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | (c.connected ? 0u : uint32_t(EPOLLOUT));
  event.data.u64 = index;
  c.want_write = !c.connected;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd.get(), &event);
  return {};
}

void Engine::set_events(std::size_t index, bool want_write) {
  Connection& c = connections_[index];
  if (c.want_write == want_write || !c.fd) return;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | (want_write ? uint32_t(EPOLLOUT) : 0u);
  event.data.u64 = index;
  epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &event);
  c.want_write = want_write;
}

void Engine::finish(Connection& c, int64_t now, RequestError error) {
  c.request.done_ns = now;
  c.request.error = error;
  if (error == RequestError::None) {
    c.request.status = c.parser.status();
    c.request.bytes = c.parser.total_bytes();
    c.request.arm = static_cast<int16_t>(c.parser.arm());
  }
  if (!c.request.warmup) outcome_.last_done_ns = std::max(outcome_.last_done_ns, now);
  observer_.on_request(c.request);
  c.busy = false;
  c.deadline_ns = kNever;
  if (error != RequestError::None || !c.parser.keep_alive()) {
    close(c);
  } else {
    c.parser.reset();
  }
}

void Engine::start_request(std::size_t index, RequestRecord record, int64_t now) {
  Connection& c = connections_[index];
  c.request = record;
  c.busy = true;
  c.written = 0;
  c.parser.reset();
  c.deadline_ns = record.intended_ns + plan_.timeout_ns;
  if (!c.fd) {
    if (!open(index)) {
      finish(c, now, RequestError::Connect);
      return;
    }
  }
  if (c.connected) write_some(index, now);
}

void Engine::write_some(std::size_t index, int64_t now) {
  Connection& c = connections_[index];
  const std::string& bytes = plan_.request;
  while (c.written < bytes.size()) {
    ssize_t n = send(c.fd.get(), bytes.data() + c.written, bytes.size() - c.written, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      finish(c, now, RequestError::Reset);
      return;
    }
    if (c.written == 0) c.request.sent_ns = now;
    c.written += static_cast<std::size_t>(n);
  }
  set_events(index, c.written < bytes.size());
}

void Engine::read_some(std::size_t index, int64_t now) {
  Connection& c = connections_[index];
  char buffer[16384];
  while (c.fd) {
    ssize_t n = recv(c.fd.get(), buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (c.busy)
        finish(c, now, RequestError::Reset);
      else
        close(c);
      return;
    }
    if (n == 0) {  // the server closed
      if (!c.busy) {
        close(c);  // an idle keep-alive connection timed out: reopened when next needed
      } else if (c.parser.finish_on_close() == HttpResponseParser::State::Complete) {
        finish(c, now, RequestError::None);
        close(c);
      } else {
        finish(c, now, RequestError::Reset);
      }
      return;
    }
    if (!c.busy) {  // bytes nobody asked for: the connection is out of step
      close(c);
      return;
    }
    auto state = c.parser.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    if (state == HttpResponseParser::State::Complete) {
      finish(c, now, RequestError::None);
      return;
    }
    if (state == HttpResponseParser::State::Error) {
      finish(c, now, RequestError::Protocol);
      return;
    }
  }
}

void Engine::on_event(std::size_t index, uint32_t events, int64_t now) {
  Connection& c = connections_[index];
  if (!c.fd) return;
  if (!c.connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      if (c.busy)
        finish(c, now, RequestError::Connect);
      else
        close(c);
      return;
    }
    c.connected = true;
    set_events(index, false);
    if (c.busy) write_some(index, now);
    return;
  }
  if ((events & EPOLLOUT) && c.busy && c.written < plan_.request.size()) write_some(index, now);
  if (c.fd && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) read_some(index, now);
}

// The next request's record, or false once the plan's bounds are reached.
bool Engine::next_arrival(int64_t intended, RequestRecord& record) {
  const bool warmup = intended < outcome_.measure_start_ns;
  if (!warmup) {
    if (plan_.duration_ns && intended >= outcome_.measure_start_ns + *plan_.duration_ns)
      return false;
    if (plan_.max_requests && measured_ >= *plan_.max_requests) return false;
    ++measured_;
  }
  record = RequestRecord{};
  record.id = next_id_++;
  record.intended_ns = intended;
  record.warmup = warmup;
  return true;
}

void Engine::wait(int64_t until_ns) {
  epoll_event events[64];
  const int64_t now = monotonic_ns();
  const int64_t delta =
      until_ns == kNever ? 100'000'000 : std::clamp<int64_t>(until_ns - now, 0, 100'000'000);
  // epoll_pwait2 takes a timespec: a millisecond epoll_wait would send every arrival up to 1 ms
  // late.
  timespec timeout{static_cast<time_t>(delta / 1'000'000'000),
                   static_cast<long>(delta % 1'000'000'000)};
  int n = epoll_pwait2(epoll_.get(), events, 64, &timeout, nullptr);
  if (n < 0 && errno == ENOSYS)
    n = epoll_wait(epoll_.get(), events, 64, static_cast<int>((delta + 999'999) / 1'000'000));
  const int64_t after = monotonic_ns();
  for (int i = 0; i < n; ++i)
    on_event(static_cast<std::size_t>(events[i].data.u64), events[i].events, after);
}

Expected<LoadOutcome> Engine::run(const std::function<bool()>& stop) {
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return make_error("epoll_create1: {}", std::strerror(errno));
  // Open the pool before time 0, so connection set-up is not in the first requests' latency.
  const int64_t connect_start = monotonic_ns();
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    if (auto opened = open(i); !opened) {
      return opened.error().with_context("cannot reach the server (is it running?)");
    }
  }
  while (monotonic_ns() - connect_start < kConnectWaitNs) {
    const auto open_count = std::count_if(connections_.begin(), connections_.end(),
                                          [](const Connection& c) { return c.connected; });
    const auto failed = std::count_if(connections_.begin(), connections_.end(),
                                      [](const Connection& c) { return !c.fd; });
    if (failed > 0)
      return make_error(
          "cannot connect to {}: connection refused or reset (is the server running?)",
          plan_.address.text);
    if (open_count == static_cast<long>(connections_.size())) break;
    wait(monotonic_ns() + 10'000'000);
  }

  outcome_.start_ns = monotonic_ns();
  outcome_.measure_start_ns = outcome_.start_ns + plan_.warmup_ns;
  observer_.on_start(outcome_.start_ns, outcome_.measure_start_ns);
  int64_t next_abs = outcome_.start_ns + schedule_.next_ns();
  while (true) {
    const int64_t now = monotonic_ns();
    if (stop()) {
      outcome_.interrupted = true;
      if (generating_) outcome_.schedule_end_ns = now;
      outcome_.unfinished = static_cast<int64_t>(pending_.size()) +
                            std::count_if(connections_.begin(), connections_.end(),
                                          [](const Connection& c) { return c.busy; });
      break;
    }
    // Timeouts first, so the connections they free take the next arrivals at once.
    for (auto& c : connections_) {
      if (c.busy && c.deadline_ns <= now) finish(c, now, RequestError::Timeout);
    }
    // A request still waiting for a connection when its time is up never goes out: a timeout.
    while (!pending_.empty() && pending_.front().intended_ns + plan_.timeout_ns <= now) {
      RequestRecord expired = pending_.front();
      pending_.pop_front();
      expired.done_ns = now;
      expired.error = RequestError::Timeout;
      if (!expired.warmup) outcome_.last_done_ns = std::max(outcome_.last_done_ns, now);
      observer_.on_request(expired);
    }
    RequestRecord record;
    if (plan_.closed_loop) {
      for (std::size_t i = 0; generating_ && i < connections_.size(); ++i) {
        if (connections_[i].busy) continue;
        if (!next_arrival(now, record)) {
          generating_ = false;
          outcome_.schedule_end_ns = now;
          break;
        }
        start_request(i, record, now);
      }
    } else {
      while (generating_ && next_abs <= now) {
        if (!next_arrival(next_abs, record)) {
          generating_ = false;
          outcome_.schedule_end_ns =
              plan_.duration_ns ? std::min(next_abs, outcome_.measure_start_ns + *plan_.duration_ns)
                                : next_abs;
          break;
        }
        pending_.push_back(record);
        next_abs = outcome_.start_ns + schedule_.next_ns();
      }
      for (std::size_t i = 0; !pending_.empty() && i < connections_.size(); ++i) {
        if (connections_[i].busy) continue;
        RequestRecord waiting = pending_.front();
        pending_.pop_front();
        start_request(i, waiting, now);
      }
    }
    int64_t earliest_deadline =
        pending_.empty() ? kNever : pending_.front().intended_ns + plan_.timeout_ns;
    int64_t oldest_open = plan_.closed_loop || !generating_ ? kNever : next_abs;
    if (!pending_.empty()) oldest_open = std::min(oldest_open, pending_.front().intended_ns);
    bool busy = false;
    for (auto& c : connections_) {
      if (!c.busy) continue;
      busy = true;
      earliest_deadline = std::min(earliest_deadline, c.deadline_ns);
      oldest_open = std::min(oldest_open, c.request.intended_ns);
    }
    if (plan_.closed_loop && generating_) oldest_open = std::min(oldest_open, now);
    observer_.on_tick(LoadTick{now, oldest_open});
    if (!generating_ && pending_.empty() && !busy) break;
    wait(std::min(earliest_deadline, plan_.closed_loop || !generating_ ? kNever : next_abs));
  }
  if (outcome_.interrupted && !plan_.closed_loop && generating_) {
    outcome_.schedule_end_ns = std::min(outcome_.schedule_end_ns, next_abs);
  }
  outcome_.schedule_end_ns = std::max(outcome_.schedule_end_ns, outcome_.measure_start_ns);
  outcome_.scheduled = measured_;
  return outcome_;
}

}  // namespace

Expected<LoadOutcome> run_load(const LoadPlan& plan, LoadObserver& observer,
                               const std::function<bool()>& stop) {
  if (plan.connections < 1)
    return make_error("--connections {}: give at least 1", plan.connections);
  if (!plan.closed_loop && !(plan.rate > 0))
    return make_error("--rate {}: give a rate above 0 requests/s", plan.rate);
  if (!plan.duration_ns && !plan.max_requests) {
    return make_error("give --duration or --requests (or both): a load session must be bounded");
  }
  Engine engine(plan, observer);
  return engine.run(stop);
}

}  // namespace coldbench::load
