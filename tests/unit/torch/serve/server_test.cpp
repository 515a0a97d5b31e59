// ModelServer with fake models (no LibTorch): the HTTP paths, the metrics they
// update and the request-completion hook, on 127.0.0.1 and a free port.
#include "torch/serve/server.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstring>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace coldbench::workload::serve {
namespace {

ServedModel echo_model(std::string name = "echo") {
  ServedModel model;
  model.name = std::move(name);
  model.version = "v1";
  model.mode = "script";
  model.sample_shape = {2};
  model.run = [](const TensorInput& input) -> Expected<OutputValues> {
    return OutputValues{input.shape, input.values};
  };
  return model;
}

std::string floats(std::vector<float> values) {
  std::string body(values.size() * sizeof(float), '\0');
  std::memcpy(body.data(), values.data(), body.size());
  return body;
}

struct Running {
  explicit Running(ServerConfig config = {}, std::vector<ServedModel> models = {echo_model()},
                   RequestObserver observer = nullptr)
      : server(std::move(config)) {
    if (observer) server.add_observer(std::move(observer));
    auto bound = server.bind();
    EXPECT_TRUE(bound) << (bound ? "" : bound.error().message);
    port = bound ? *bound : 0;
    server.start();
    server.publish(std::move(models));
    server.set_ready();
  }
  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(30, 0);
    return client;
  }
  ModelServer server;
  int port = 0;
};

double series(const std::string& text, const std::string& line_prefix) {
  size_t at = text.find("\n" + line_prefix + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + line_prefix.size() + 2));
}

TEST(ModelServer, PredictAnswersAndCountsOnce) {
  Running running;
  auto client = running.client();
  auto res = client.Post("/v1/models/echo:predict", {{"X-Shape", "1,2"}, {"X-Request-Id", "r1"}},
                         floats({1, 2}), "application/octet-stream");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto answer = nlohmann::json::parse(res->body);
  EXPECT_EQ(answer["request_id"], "r1");
  EXPECT_EQ(answer["output_shape"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(answer["top_k"][0][0]["index"], 1);

  const std::string text = client.Get("/metrics")->body;
  EXPECT_EQ(series(text, R"(http_requests_total{path="/v1/models/{name}:predict",status="200"})"),
            1)
      << text;
  EXPECT_EQ(
      series(text,
             R"(model_inference_latency_seconds_count{model="echo",version="v1",device="cpu"})"),
      1);
}

TEST(ModelServer, ObserversSeeEveryPredictOutcome) {
  std::mutex mutex;
  std::vector<RequestRecord> records;
  Running running({}, {echo_model()}, [&](const RequestRecord& record) {
    std::lock_guard lock(mutex);
    records.push_back(record);
  });
  auto client = running.client();
  ASSERT_EQ(client
                .Post("/v1/models/echo:predict", {{"X-Shape", "1,2"}}, floats({1, 2}),
                      "application/octet-stream")
                ->status,
            200);
  ASSERT_EQ(client
                .Post("/v1/models/echo:predict", {{"X-Shape", "1,3"}}, floats({1, 2, 3}),
                      "application/octet-stream")
                ->status,
            400);
  ASSERT_EQ(client.Post("/v1/models/nope:predict", "{}", "application/json")->status, 404);
  ASSERT_EQ(client.Get("/healthz")->status, 200);  // not a predict: not reported
  std::lock_guard lock(mutex);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[0].inference_ran);
  EXPECT_EQ(records[0].input_shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(records[1].error_type, kErrShapeMismatch);
  EXPECT_EQ(records[1].model, "echo");
  EXPECT_EQ(records[2].error_type, kErrUnknownModel);
  EXPECT_EQ(records[2].model, "");
}

// "Scraping must not disturb serving": with a forward pass stuck inside the
// model, /metrics and /healthz still answer (no lock is held across inference).
TEST(ModelServer, ScrapeAnswersWhileAnInferenceIsRunning) {
  std::promise<void> entered, release;
  std::shared_future<void> gate = release.get_future().share();
  ServedModel blocking = echo_model();
  blocking.run = [&entered, gate](const TensorInput& input) -> Expected<OutputValues> {
    entered.set_value();
    gate.wait();
    return OutputValues{input.shape, input.values};
  };
  Running running({}, {blocking});
  auto slow = std::async(std::launch::async, [&] {
    return running.client()
        .Post("/v1/models/echo:predict", {{"X-Shape", "1,2"}}, floats({1, 2}),
              "application/octet-stream")
        ->status;
  });
  entered.get_future().wait();
  auto client = running.client();
  auto scrape = client.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_EQ(series(scrape->body, "http_requests_in_flight"), 2);  // the stuck predict + this scrape
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  release.set_value();
  EXPECT_EQ(slow.get(), 200);
}

TEST(ModelServer, FullQueueRefusesWith503AndJsonError) {
  std::promise<void> entered, release;
  std::shared_future<void> gate = release.get_future().share();
  ServedModel blocking = echo_model();
  blocking.run = [&entered, gate](const TensorInput& input) -> Expected<OutputValues> {
    entered.set_value();
    gate.wait();
    return OutputValues{input.shape, input.values};
  };
  ServerConfig config;
  config.workers = 1;
  config.queue = 0;
  Running running(config, {blocking});
  auto slow = std::async(std::launch::async, [&] {
    return running.client()
        .Post("/v1/models/echo:predict", {{"X-Shape", "1,2"}}, floats({1, 2}),
              "application/octet-stream")
        ->status;
  });
  entered.get_future().wait();
  auto refused = running.client().Post("/v1/models/echo:predict", {{"X-Shape", "1,2"}},
                                       floats({1, 2}), "application/octet-stream");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(nlohmann::json::parse(refused->body)["error_type"], kErrQueueFull);
  release.set_value();
  EXPECT_EQ(slow.get(), 200);
}

TEST(ModelServer, ModelErrorIs500AndCounted) {
  ServedModel failing = echo_model();
  failing.run = [](const TensorInput&) -> Expected<OutputValues> { return make_error("boom"); };
  Running running({}, {failing});
  auto client = running.client();
  auto res = client.Post("/v1/models/echo:predict", {{"X-Shape", "1,2"}}, floats({1, 2}),
                         "application/octet-stream");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("boom"), std::string::npos);
  const std::string text = client.Get("/metrics")->body;
  EXPECT_EQ(series(text, R"(model_inference_errors_total{model="echo",error_type="model_error"})"),
            1)
      << text;
}

TEST(ModelServer, NotReadyUntilSetReady) {
  ModelServer server({});
  auto port = server.bind();
  ASSERT_TRUE(port);
  server.start();
  httplib::Client client("127.0.0.1", *port);
  EXPECT_EQ(client.Get("/readyz")->status, 503);
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  server.publish({echo_model()});
  server.set_ready();
  EXPECT_EQ(client.Get("/readyz")->status, 200);
  server.stop();
  EXPECT_FALSE(client.Get("/healthz"));  // no longer accepting
}

// Prometheus' rate() needs a sample before the first event: a served model's
// latency histogram and error counters exist, at zero, before any request.
TEST(ModelServer, EveryModelSeriesExistsAtZeroBeforeTheFirstRequest) {
  Running running;
  auto client = running.client();
  const std::string text = client.Get("/metrics")->body;
  EXPECT_EQ(series(text, R"(model_inference_latency_seconds_count{model="echo",version="v1",device="cpu"})"), 0)
      << text;
  for (const char* type : {kErrModelError, kErrShapeMismatch, kErrMalformedJson, kErrQueueFull}) {
    EXPECT_EQ(series(text, fmt::format(R"(model_inference_errors_total{{model="echo",error_type="{}"}})", type)), 0)
        << type << "\n" << text;
  }
}

// serve --size-range: any H x W within the range reaches the model, sizes
// outside get 400 size_out_of_range (counted from zero), /v1/models shows it.
TEST(ModelServer, RangedModelChecksSizesAndListsItsRange) {
  ServedModel model = echo_model("img");
  model.sample_shape = {1, 8, 8};
  model.size_range = SizeRange{4, 12};
  model.bucket_plan = BucketPlan::list({Size{8, 8}, Size{12, 6}});
  model.bucket_cache = 3;
  Running running({}, {model});
  auto client = running.client();
  const std::string before = client.Get("/metrics")->body;
  EXPECT_EQ(
      series(before, R"(model_inference_errors_total{model="img",error_type="size_out_of_range"})"),
      0)
      << before;
  auto ok = client.Post("/v1/models/img:predict", {{"X-Shape", "1,1,5,11"}},
                        floats(std::vector<float>(55, 1.0f)), "application/octet-stream");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  auto big = client.Post("/v1/models/img:predict", {{"X-Shape", "1,1,13,4"}},
                         floats(std::vector<float>(52, 1.0f)), "application/octet-stream");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 400);
  auto error = nlohmann::json::parse(big->body);
  EXPECT_EQ(error["error_type"], kErrSizeOutOfRange);
  EXPECT_NE(error["error"].get<std::string>().find("4-12"), std::string::npos) << big->body;
  const std::string after = client.Get("/metrics")->body;
  EXPECT_EQ(
      series(after, R"(model_inference_errors_total{model="img",error_type="size_out_of_range"})"),
      1)
      << after;
  auto listing = nlohmann::json::parse(client.Get("/v1/models")->body);
  const auto& sizes = listing["models"][0]["size_range"];
  EXPECT_EQ(sizes["min"], 4);
  EXPECT_EQ(sizes["max"], 12);
  EXPECT_EQ(sizes["buckets"]["cache"], 3);
  EXPECT_EQ(sizes["buckets"]["list"], nlohmann::json::array({"8x8", "12x6"}));
  EXPECT_EQ(sizes["buckets"]["fallback"], "dynamic");
  // A model served without a range lists none and has no such error series.
  EXPECT_EQ(
      series(after, R"(model_inference_errors_total{model="echo",error_type="size_out_of_range"})"),
      -1);
}

// Only a POST to a predict path is a predict request: a GET there is a plain
// 404, counted in http_requests_total but not as an inference error.
TEST(ModelServer, GetOnAPredictPathIsNotAnInferenceError) {
  int reported = 0;
  Running running({}, {echo_model()}, [&](const RequestRecord&) { ++reported; });
  auto client = running.client();
  auto res = client.Get("/v1/models/echo:predict");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error_type"], kErrNotFound);
  const std::string text = client.Get("/metrics")->body;
  // The model's error series exist from the start (at zero); none counted this.
  EXPECT_EQ(series(text, R"(model_inference_errors_total{model="echo",error_type="not_found"})"), -1) << text;
  EXPECT_EQ(text.find("model_inference_errors_total{model=\"\""), std::string::npos) << text;
  for (size_t at = text.find("\nmodel_inference_errors_total{"); at != std::string::npos;
       at = text.find("\nmodel_inference_errors_total{", at + 1)) {
    const size_t end = text.find('\n', at + 1);
    EXPECT_EQ(text.substr(end - 2, 2), " 0") << text.substr(at + 1, end - at - 1);
  }
  EXPECT_EQ(series(text, R"(http_requests_total{path="/v1/models/{name}:predict",status="404"})"),
            1)
      << text;
  EXPECT_EQ(reported, 0);
}

TEST(RouteLabel, PredictPathsCollapseToOneLabel) {
  EXPECT_EQ(route_label("/v1/models/a:predict"), "/v1/models/{name}:predict");
  EXPECT_EQ(route_label("/v1/models/anything-else:predict"), "/v1/models/{name}:predict");
  EXPECT_EQ(route_label("/v1/models/a/b:predict"), "other");
  EXPECT_EQ(route_label("/v1/models/:predict"), "other");
  EXPECT_EQ(route_label("/metrics"), "/metrics");
  EXPECT_EQ(route_label("/random/path"), "other");
}

}  // namespace
}  // namespace coldbench::workload::serve
