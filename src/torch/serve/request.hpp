#pragma once
// What a predict request carries and what it gets back, without HTTP or
// LibTorch: the tensor in its body (raw little-endian float32 with an
// X-Shape header, or JSON), the checks against the model's input shape, the
// JSON answer with top-k, and the JSON error every 4xx/5xx carries. Each
// failure is an ApiError with the HTTP status and the error_type that
// /metrics counts (docs/serve.md lists them).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace coldbench::workload::serve {

struct ApiError {
  int status = 400;
  std::string error_type;  // a stable label value: invalid_shape, size_mismatch, ...
  std::string message;     // one line: what was wrong and how to fix it
};

// error_type values (also the label values of model_inference_errors_total).
inline constexpr const char* kErrInvalidShape = "invalid_shape";
inline constexpr const char* kErrShapeMismatch = "shape_mismatch";
inline constexpr const char* kErrSizeMismatch = "size_mismatch";
inline constexpr const char* kErrUnsupportedDtype = "unsupported_dtype";
inline constexpr const char* kErrMalformedJson = "malformed_json";
inline constexpr const char* kErrBodyTooLarge = "body_too_large";
inline constexpr const char* kErrUnknownModel = "unknown_model";
inline constexpr const char* kErrUnsupportedMediaType = "unsupported_media_type";
inline constexpr const char* kErrIncompleteRequest = "incomplete_request";
inline constexpr const char* kErrNotFound = "not_found";
inline constexpr const char* kErrNotReady = "not_ready";
inline constexpr const char* kErrQueueFull = "queue_full";
inline constexpr const char* kErrShuttingDown = "shutting_down";
inline constexpr const char* kErrModelError = "model_error";
inline constexpr const char* kErrSizeOutOfRange = "size_out_of_range";

template <class T>
using ApiResult = std::variant<T, ApiError>;

struct TensorInput {
  std::vector<int64_t> shape;  // batch dimension first
  std::vector<float> values;   // row-major, numel(shape) of them
};

// The most dimensions and elements one request may carry; the body limit
// (--max-body) bounds the bytes before any of this is parsed.
inline constexpr size_t kMaxDims = 8;
inline constexpr int64_t kMaxElements = int64_t{1} << 28;

// "1,3,224,224" (also "1x3x224x224" or "[1, 3, 224, 224]"): positive
// dimensions whose product is at most kMaxElements.
ApiResult<std::vector<int64_t>> parse_shape_header(std::string_view text);

// Dispatches on the media type (parameters such as charset ignored):
// application/octet-stream needs `shape_header`; application/json is
// {"shape":[...],"data":[flat numbers],"dtype":"float32"?}. `dtype_header`
// is X-Dtype (empty: float32).
ApiResult<TensorInput> parse_predict_body(std::string_view content_type,
                                          std::string_view shape_header,
                                          std::string_view dtype_header, std::string_view body);

// A predict body read in pieces as it arrives (serve reads bodies through a
// content receiver). A raw float32 body is written straight into the values
// it becomes: no intermediate string and no second copy of a 600 KB image.
// Any other body is kept as text for parse_predict_body. `content_length` is
// a size hint; bytes beyond it are kept too and reported by parse().
class PredictBody {
 public:
  PredictBody(std::string_view content_type, size_t content_length);
  void append(const char* data, size_t size);
  size_t bytes() const { return bytes_; }
  // As parse_predict_body on the same headers and bytes.
  ApiResult<TensorInput> parse(std::string_view content_type, std::string_view shape_header,
                               std::string_view dtype_header) &&;

 private:
  bool raw_ = false;
  std::vector<float> values_;  // raw: the bytes so far, from the front
  size_t bytes_ = 0;
  std::string text_;           // any other media type
};

// The request's shape must be [N, sample...] for the model's one-sample shape
// (any N >= 1). An empty `sample_shape` (no sidecar) accepts any shape.
std::optional<ApiError> check_input_shape(const std::vector<int64_t>& shape,
                                          const std::vector<int64_t>& sample_shape);

struct TopEntry {
  int64_t index = 0;
  float score = 0;
};
// Per sample (row) of a 2-D [N, C] output with C > 1, the k largest scores
// in decreasing order (ties: lower index first); empty for other shapes.
std::vector<std::vector<TopEntry>> top_k(const std::vector<int64_t>& shape,
                                         const std::vector<float>& values, size_t k);

struct PredictAnswer {
  std::string model;
  std::string version;
  std::string request_id;
  std::vector<int64_t> output_shape;
  std::vector<float> output;  // the first tensor's values, flattened
  double latency_ms = 0;      // the forward pass, as the latency histogram records it
  double queue_ms = 0;        // waiting for an inference worker before it
};
inline constexpr size_t kTopK = 5;
inline constexpr size_t kMaxInlineOutput = 64;  // outputs this small are returned whole
std::string predict_json(const PredictAnswer& answer);

// {"error": message, "error_type": type, "request_id"?: id}
std::string error_json(const ApiError& error, std::string_view request_id = {});

// The client's X-Request-Id when it is 1-128 visible ASCII characters, else nullopt.
std::optional<std::string> accept_request_id(std::string_view header);

}  // namespace coldbench::workload::serve
