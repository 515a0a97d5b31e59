#include "load/load_engine.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/fd.hpp"
#include "load/load_request.hpp"

namespace coldbench::load {
namespace {

// A keep-alive HTTP/1.1 server on a loopback port, one thread per connection:
// answers every request with a small chunked or sized body, and holds the
// `stall_at`-th request (0-based, over all connections) for `stall_ms` once.
class StallingServer {
 public:
  StallingServer(int stall_at, int stall_ms, bool chunked, bool one_worker = false)
      : stall_at_(stall_at), stall_ms_(stall_ms), chunked_(chunked), one_worker_(one_worker) {
    listener_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_.get(), 64);
    socklen_t length = sizeof address;
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~StallingServer() {
    stopping_ = true;
    shutdown(listener_.get(), SHUT_RDWR);
    acceptor_.join();
    for (auto& t : connections_) t.join();
  }
  int port() const { return port_; }
  int answered() const { return answered_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      connections_.emplace_back([this, fd] { serve(Fd(fd)); });
    }
  }
  void serve(Fd fd) {
    std::string buffer;
    char chunk[4096];
    while (true) {
      const auto end = buffer.find("\r\n\r\n");
      if (end == std::string::npos) {
        ssize_t n = recv(fd.get(), chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buffer.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      buffer.erase(0, end + 4);
      std::unique_lock<std::mutex> worker(worker_, std::defer_lock);
      if (one_worker_) worker.lock();  // like serve --workers 1: a stall holds every connection
      if (count_++ == stall_at_) std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms_));
      const std::string response =
          chunked_ ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
                   : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      if (send(fd.get(), response.data(), response.size(), MSG_NOSIGNAL) < 0) return;
      ++answered_;
    }
  }

  int stall_at_, stall_ms_;
  bool chunked_, one_worker_;
  std::mutex worker_;
  Fd listener_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> count_{0}, answered_{0};
  std::thread acceptor_;
  std::vector<std::thread> connections_;
};

class Collect : public LoadObserver {
 public:
  void on_request(const RequestRecord& r) override { records.push_back(r); }
  std::vector<RequestRecord> records;
};

LoadPlan plan_for(int port) {
  LoadPlan plan;
  auto url = parse_target_url("http://127.0.0.1:" + std::to_string(port) + "/");
  plan.address = *resolve_target(*url, false);
  RequestSpec spec;
  spec.url = *url;
  plan.request = *build_request(spec);
  plan.arrival = ArrivalKind::Constant;
  plan.rate = 100;
  plan.connections = 1;
  return plan;
}

TEST(LoadEngine, RequestsWaitingOutAStallCountItInTheirLatency) {
  StallingServer server(/*stall_at=*/5, /*stall_ms=*/300, /*chunked=*/false);
  LoadPlan plan = plan_for(server.port());
  plan.max_requests = 40;
  Collect collect;
  auto outcome = run_load(plan, collect, [] { return false; });
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  ASSERT_EQ(collect.records.size(), 40u);
  std::sort(collect.records.begin(), collect.records.end(),
            [](auto& a, auto& b) { return a.id < b.id; });
  for (const auto& r : collect.records) ASSERT_TRUE(r.answered()) << r.id;
  // Request 6 was scheduled 10 ms after the stalled one (at 60 ms); the only
  // connection was held until the stall ended (>= 50 + 300 ms): it waited >= 290 ms
  // before it could be sent, and that wait is in its latency, not its service time.
  const RequestRecord& after = collect.records[6];
  EXPECT_GE(after.sent_ns - after.intended_ns, 290'000'000);
  EXPECT_EQ(after.latency_ns() - after.service_ns(), after.sent_ns - after.intended_ns);
  // Intended times are the schedule's, whatever the stall did.
  for (std::size_t i = 1; i < collect.records.size(); ++i) {
    EXPECT_EQ(collect.records[i].intended_ns - collect.records[i - 1].intended_ns, 10'000'000) << i;
  }
  EXPECT_EQ(outcome->scheduled, 40);
}

TEST(LoadEngine, ClosedLoopKeepsEveryConnectionBusyOverChunkedAnswers) {
  StallingServer server(-1, 0, /*chunked=*/true);
  LoadPlan plan = plan_for(server.port());
  plan.closed_loop = true;
  plan.connections = 4;
  plan.max_requests = 400;
  Collect collect;
  auto outcome = run_load(plan, collect, [] { return false; });
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(collect.records.size(), 400u);
  for (const auto& r : collect.records) {
    ASSERT_TRUE(r.answered());
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.intended_ns, r.sent_ns);  // closed loop: sent the moment it was due
  }
  EXPECT_EQ(server.answered(), 400);
}

TEST(LoadEngine, ATimedOutRequestIsCountedAndItsConnectionReopened) {
  StallingServer server(/*stall_at=*/2, /*stall_ms=*/1500, /*chunked=*/false);
  LoadPlan plan = plan_for(server.port());
  plan.rate = 10;
  plan.connections =
      2;  // the server serves each connection on its own thread: only the stalled one waits
  plan.max_requests = 10;
  plan.timeout_ns = 500'000'000;
  Collect collect;
  auto outcome = run_load(plan, collect, [] { return false; });
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  ASSERT_EQ(collect.records.size(), 10u);
  int timeouts = 0, answered = 0;
  for (const auto& r : collect.records) {
    timeouts += r.error == RequestError::Timeout;
    answered += r.answered();
    if (r.error == RequestError::Timeout) {
      EXPECT_GE(r.done_ns - r.intended_ns, plan.timeout_ns);
    }
  }
  EXPECT_EQ(timeouts, 1);
  EXPECT_EQ(answered, 9);  // one on a reopened connection, while the old one's thread still sleeps
}

TEST(LoadEngine, AConnectionFreedByATimeoutTakesTheNextQueuedRequestAtOnce) {
  // The only connection is held by a stalled request until it times out at 500 ms; the request
  // queued behind it (intended at 100 ms, its own time up at 600 ms) goes out on a reopened
  // connection right then, not at the loop's next wake-up (which came too late for it).
  StallingServer server(/*stall_at=*/0, /*stall_ms=*/1500, /*chunked=*/false);
  LoadPlan plan = plan_for(server.port());
  plan.rate = 10;
  plan.max_requests = 2;
  plan.timeout_ns = 500'000'000;
  Collect collect;
  auto outcome = run_load(plan, collect, [] { return false; });
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  ASSERT_EQ(collect.records.size(), 2u);
  std::sort(collect.records.begin(), collect.records.end(),
            [](auto& a, auto& b) { return a.id < b.id; });
  EXPECT_EQ(collect.records[0].error, RequestError::Timeout);
  const RequestRecord& queued = collect.records[1];
  EXPECT_TRUE(queued.answered()) << request_error_name(queued.error);
  EXPECT_GT(queued.sent_ns, 0);
  EXPECT_LT(queued.sent_ns, queued.intended_ns + plan.timeout_ns);
}

TEST(LoadEngine, AnOverloadedServerEndsTheSessionWithinTheTimeoutNotAfterTheStall) {
  // One worker held 3 s: every request (sent or still queued) gives up at intended + timeout,
  // so none waits for the stall to end and the session ends long before it does.
  StallingServer server(/*stall_at=*/0, /*stall_ms=*/3000, /*chunked=*/false, /*one_worker=*/true);
  LoadPlan plan = plan_for(server.port());
  plan.rate = 100;
  plan.connections = 2;
  plan.max_requests = 20;
  plan.timeout_ns = 300'000'000;
  Collect collect;
  auto outcome = run_load(plan, collect, [] { return false; });
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  ASSERT_EQ(collect.records.size(), 20u);
  for (const auto& r : collect.records) {
    EXPECT_EQ(r.error, RequestError::Timeout)
        << r.id;  // an answer would have come after the 3 s stall
    EXPECT_GE(r.done_ns - r.intended_ns, plan.timeout_ns) << r.id;
  }
}

TEST(LoadEngine, AnUnreachableServerIsAnErrorBeforeAnyRequest) {
  int port = 0;
  {
    StallingServer gone(-1, 0, false);
    port = gone.port();
  }
  LoadPlan plan = plan_for(port);
  plan.max_requests = 5;
  Collect collect;
  auto outcome = run_load(plan, collect, [] { return false; });
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("server"), std::string::npos);
}

TEST(LoadEngine, StopEndsTheSessionAndSaysSo) {
  StallingServer server(-1, 0, false);
  LoadPlan plan = plan_for(server.port());
  plan.duration_ns = 60'000'000'000;
  Collect collect;
  auto outcome = run_load(plan, collect, [&] { return collect.records.size() >= 5; });
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->interrupted);
  EXPECT_GE(collect.records.size(), 5u);
  EXPECT_LT(collect.records.size(), 100u);
}

}  // namespace
}  // namespace coldbench::load
