// The load generator of bench/serve_overhead.sh: sequential predict requests
// on one keep-alive connection (low rate, so the server is never queued), an
// optional concurrent /metrics scraper, or back-to-back scrapes to price one.
// Prints one JSON object. C++ on a plain socket, sending each request with
// one sendmsg, so the client's own cost stays far below the 0.3 ms the server
// may add (httplib's client took ~6 ms more than Python's http.client to
// send a 600 KB body). After the predict requests it sends the same ones to
// a trivial in-process peer (floor_ms): what moving those bytes over
// loopback TCP costs any server.
//
//   serve-bench-client --port P --model NAME --shape 1,3,224,224 --requests 300
//                      [--warmup 20] [--scrape-hz 10] [--min-seconds 5] [--scrapes 200]

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

nlohmann::json stats(std::vector<double> values) {
  if (values.empty()) return {{"n", 0}};
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    return values[static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5)];
  };
  return {{"n", values.size()}, {"p50", at(0.5)}, {"p90", at(0.9)}, {"min", values.front()}};
}

// One keep-alive HTTP/1.1 connection to 127.0.0.1:PORT; answers must carry
// Content-Length (the server's always do).
class Connection {
 public:
  explicit Connection(int port) : port_(port) { open(); }
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  struct Response {
    int status = 0;
    std::string body;
  };
  // The server closes a keep-alive connection after its request limit: then
  // the request is sent once more on a new connection.
  std::optional<Response> request(const std::string& method, const std::string& path,
                                  const std::string& headers, const std::string& body) {
    if (auto response = exchange(method, path, headers, body)) return response;
    open();
    return exchange(method, path, headers, body);
  }

 private:
  void open() {
    if (fd_ >= 0) close(fd_);
    buffer_.clear();
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }

  std::optional<Response> exchange(const std::string& method, const std::string& path,
                                   const std::string& headers, const std::string& body) {
    if (fd_ < 0) return std::nullopt;
    const std::string request_head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    // Head and body in one sendmsg: the body is not copied into a message.
    size_t sent = 0;
    const size_t total = request_head.size() + body.size();
    while (sent < total) {
      iovec parts[2];
      int count = 0;
      if (sent < request_head.size())
        parts[count++] = {const_cast<char*>(request_head.data()) + sent, request_head.size() - sent};
      const size_t body_at = sent > request_head.size() ? sent - request_head.size() : 0;
      if (body_at < body.size())
        parts[count++] = {const_cast<char*>(body.data()) + body_at, body.size() - body_at};
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = static_cast<size_t>(count);
      ssize_t n = sendmsg(fd_, &message, MSG_NOSIGNAL);
      if (n <= 0) return std::nullopt;
      sent += static_cast<size_t>(n);
    }
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    Response response;
    response.status = std::atoi(buffer_.c_str() + 9);  // "HTTP/1.1 200 OK"
    std::string head = buffer_.substr(0, head_end);
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    size_t length_at = head.find("content-length:");
    if (length_at == std::string::npos) return std::nullopt;
    const size_t length = std::strtoull(head.c_str() + length_at + 15, nullptr, 10);
    while (buffer_.size() < head_end + 4 + length) {
      if (!fill()) return std::nullopt;
    }
    response.body = buffer_.substr(head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    if (head.find("connection: close") != std::string::npos) open();
    return response;
  }

  bool fill() {
    char chunk[65536];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int port_;
  int fd_ = -1;
  std::string buffer_;
};

// A trivial HTTP peer on 127.0.0.1 for the floor: it reads each request's
// head and Content-Length bytes and answers with a fixed response. Round trips
// to it are what moving the same bytes over loopback TCP costs any server.
class FloorPeer {
 public:
  explicit FloorPeer(std::string answer) : answer_(std::move(answer)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(listener_, 1) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0)
      return;
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FloorPeer() {
    shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  FloorPeer(const FloorPeer&) = delete;
  FloorPeer& operator=(const FloorPeer&) = delete;
  int port() const { return port_; }

 private:
  // One connection (the client's), until it closes.
  void serve() {
    int fd = accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    std::string buffer;
    std::vector<char> chunk(65536);
    size_t wanted = 0;  // bytes of the current request, head and body; 0: head not seen yet
    for (;;) {
      if (wanted == 0) {
        size_t head_end = buffer.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          size_t at = buffer.find("Content-Length: ");
          size_t length = at < head_end ? std::strtoull(buffer.c_str() + at + 16, nullptr, 10) : 0;
          wanted = head_end + 4 + length;
        }
      }
      if (wanted != 0 && buffer.size() >= wanted) {
        buffer.erase(0, wanted);
        wanted = 0;
        if (send(fd, answer_.data(), answer_.size(), MSG_NOSIGNAL) <= 0) break;
        continue;
      }
      ssize_t n = recv(fd, chunk.data(), chunk.size(), 0);
      if (n <= 0) break;
      buffer.append(chunk.data(), static_cast<size_t>(n));
    }
    close(fd);
  }
  std::string answer_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

int usage(const char* problem) {
  std::fprintf(stderr, "serve-bench-client: %s\n", problem);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, requests = 300, warmup = 20, scrapes = 0;
  double scrape_hz = 0, min_seconds = 0;
  std::string model, shape;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port")
      port = std::atoi(value.c_str());
    else if (flag == "--model")
      model = value;
    else if (flag == "--shape")
      shape = value;
    else if (flag == "--requests")
      requests = std::atoi(value.c_str());
    else if (flag == "--warmup")
      warmup = std::atoi(value.c_str());
    else if (flag == "--scrape-hz")
      scrape_hz = std::atof(value.c_str());
    else if (flag == "--scrapes")
      scrapes = std::atoi(value.c_str());
    else if (flag == "--min-seconds")
      min_seconds = std::atof(value.c_str());
    else
      return usage(("unknown option " + flag).c_str());
  }
  if (port <= 0 || model.empty() || shape.empty()) return usage("need --port, --model and --shape");
  size_t numel = 1;
  for (size_t start = 0; start <= shape.size();) {
    size_t end = std::min(shape.find(',', start), shape.size());
    numel *= static_cast<size_t>(std::atoll(shape.substr(start, end - start).c_str()));
    start = end + 1;
  }
  const std::string body(numel * sizeof(float), '\0');  // zeros are valid float32
  const std::string path = "/v1/models/" + model + ":predict";
  const std::string headers =
      "Content-Type: application/octet-stream\r\nX-Shape: " + shape + "\r\n";

  nlohmann::json out;
  if (scrapes > 0) {
    Connection client(port);
    std::vector<double> scrape_ms;
    for (int i = 0; i < scrapes; ++i) {
      auto start = Clock::now();
      auto res = client.request("GET", "/metrics", "", "");
      if (!res || res->status != 200) return usage("a /metrics scrape failed");
      scrape_ms.push_back(ms_since(start));
    }
    out["scrape_ms"] = stats(scrape_ms);
  }

  std::atomic<bool> running{true};
  std::atomic<int> scraped{0};
  std::thread scraper;
  if (scrape_hz > 0) {
    scraper = std::thread([&] {
      Connection client(port);
      const auto period = std::chrono::duration<double>(1.0 / scrape_hz);
      auto next = Clock::now();
      while (running) {
        if (auto res = client.request("GET", "/metrics", "", ""); res && res->status == 200)
          ++scraped;
        next += std::chrono::duration_cast<Clock::duration>(period);
        std::this_thread::sleep_until(next);
      }
    });
  }
  Connection client(port);
  // The HTTP floor: a GET that does no work, on the same connection.
  std::vector<double> healthz_ms;
  for (int i = 0; i < requests; ++i) {
    auto start = Clock::now();
    auto res = client.request("GET", "/healthz", "", "");
    if (res && res->status == 200 && i >= warmup) healthz_ms.push_back(ms_since(start));
  }
  std::vector<double> rtt_ms, server_ms, queue_ms, path_ms;
  std::string last_answer;
  int errors = 0;
  const auto began = Clock::now();
  for (int i = 0; i < warmup + requests || ms_since(began) < min_seconds * 1000; ++i) {
    auto start = Clock::now();
    auto res = client.request("POST", path, headers, body);
    double elapsed = ms_since(start);
    if (!res || res->status != 200) {
      ++errors;
      continue;
    }
    if (i < warmup) continue;
    rtt_ms.push_back(elapsed);
    last_answer = res->body;
    auto answer = nlohmann::json::parse(res->body);
    server_ms.push_back(answer.value("latency_ms", 0.0));
    queue_ms.push_back(answer.value("queue_ms", 0.0));
    // Paired per request, so the model's own variation cancels out.
    path_ms.push_back(elapsed - server_ms.back());
  }
  running = false;
  if (scraper.joinable()) scraper.join();
  // The floor: the same requests, and an answer of the same size, exchanged
  // with a peer that does nothing else.
  std::vector<double> floor_ms;
  if (requests > 0 && !last_answer.empty()) {
    FloorPeer peer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(last_answer.size()) + "\r\n\r\n" + last_answer);
    Connection floor_client(peer.port());
    for (int i = 0; i < warmup + requests; ++i) {
      auto start = Clock::now();
      auto res = floor_client.request("POST", path, headers, body);
      if (!res) return usage("the floor peer did not answer");
      if (i >= warmup) floor_ms.push_back(ms_since(start));
    }
  }
  if (requests > 0) {
    out["rtt_ms"] = stats(rtt_ms);
    out["healthz_ms"] = stats(healthz_ms);
    out["server_ms"] = stats(server_ms);
    out["queue_ms"] = stats(queue_ms);
    out["path_ms"] = stats(path_ms);
    out["floor_ms"] = stats(floor_ms);
    out["errors"] = errors;
    out["concurrent_scrapes"] = scraped.load();
  }
  std::printf("%s\n", out.dump().c_str());
  return errors == 0 ? 0 : 1;
}
