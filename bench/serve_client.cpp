// The load generator of bench/serve_overhead.sh: sequential predict requests
// on one keep-alive connection (low rate, so the server is never queued), an
// optional concurrent /metrics scraper, or back-to-back scrapes to price one.
// Prints one JSON object. C++ so the client's own cost stays far below the
// 0.3 ms the server may add.
//
//   serve-bench-client --port P --model NAME --shape 1,3,224,224 --requests 300
//                      [--warmup 20] [--scrape-hz 10] [--min-seconds 5] [--scrapes 200]

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
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
  const httplib::Headers headers{{"X-Shape", shape}};

  nlohmann::json out;
  if (scrapes > 0) {
    httplib::Client client("127.0.0.1", port);
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    std::vector<double> scrape_ms;
    for (int i = 0; i < scrapes; ++i) {
      auto start = Clock::now();
      auto res = client.Get("/metrics");
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
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      const auto period = std::chrono::duration<double>(1.0 / scrape_hz);
      auto next = Clock::now();
      while (running) {
        if (auto res = client.Get("/metrics"); res && res->status == 200) ++scraped;
        next += std::chrono::duration_cast<Clock::duration>(period);
        std::this_thread::sleep_until(next);
      }
    });
  }
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  // The HTTP floor: a GET that does no work, on the same connection.
  std::vector<double> healthz_ms;
  for (int i = 0; i < requests; ++i) {
    auto start = Clock::now();
    auto res = client.Get("/healthz");
    if (res && res->status == 200 && i >= warmup) healthz_ms.push_back(ms_since(start));
  }
  std::vector<double> rtt_ms, server_ms, queue_ms, path_ms;
  int errors = 0;
  const auto began = Clock::now();
  for (int i = 0; i < warmup + requests || ms_since(began) < min_seconds * 1000; ++i) {
    auto start = Clock::now();
    auto res = client.Post(path, headers, body, "application/octet-stream");
    double elapsed = ms_since(start);
    if (!res || res->status != 200) {
      ++errors;
      continue;
    }
    if (i < warmup) continue;
    rtt_ms.push_back(elapsed);
    auto answer = nlohmann::json::parse(res->body);
    server_ms.push_back(answer.value("latency_ms", 0.0));
    queue_ms.push_back(answer.value("queue_ms", 0.0));
    // Paired per request, so the model's own variation cancels out.
    path_ms.push_back(elapsed - server_ms.back());
  }
  running = false;
  if (scraper.joinable()) scraper.join();
  if (requests > 0) {
    out["rtt_ms"] = stats(rtt_ms);
    out["healthz_ms"] = stats(healthz_ms);
    out["server_ms"] = stats(server_ms);
    out["queue_ms"] = stats(queue_ms);
    out["path_ms"] = stats(path_ms);
    out["errors"] = errors;
    out["concurrent_scrapes"] = scraped.load();
  }
  std::printf("%s\n", out.dump().c_str());
  return errors == 0 ? 0 : 1;
}
