#include "torch/serve/request.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "core/text.hpp"
#include "torch/common/model.hpp"  // format_shape (no LibTorch header)

namespace coldbench::workload::serve {
namespace {

// {"shape": [...], "data": [...]}: an object holding flat lists.
constexpr int kMaxJsonDepth = 2;

ApiError bad_request(const char* type, std::string message) {
  return ApiError{400, type, std::move(message)};
}

// numel with overflow and kMaxElements checked; nullopt when over.
std::optional<int64_t> element_count(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim <= 0 || count > kMaxElements / dim) return std::nullopt;
    count *= dim;
  }
  return count;
}

std::optional<ApiError> check_dims(const std::vector<int64_t>& shape, std::string_view origin) {
  if (shape.empty() || shape.size() > kMaxDims) {
    return bad_request(kErrInvalidShape,
                       fmt::format("{} has {} dimensions; a request's shape has 1 to {}, batch "
                                   "first, e.g. 1,3,224,224",
                                   origin, shape.size(), kMaxDims));
  }
  if (!element_count(shape)) {
    return bad_request(
        kErrInvalidShape,
        fmt::format("{} {} is not a shape of positive dimensions with at most {} elements", origin,
                    format_shape(shape), kMaxElements));
  }
  return std::nullopt;
}

std::string_view media_type(std::string_view content_type) {
  return trim(content_type.substr(0, content_type.find(';')));
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<ApiError> check_dtype(std::string_view dtype) {
  if (dtype.empty() || dtype == "float32") return std::nullopt;
  return bad_request(
      kErrUnsupportedDtype,
      fmt::format("dtype '{}' is not supported; send float32 values (X-Dtype: float32 or omit it)",
                  dtype));
}

// The shape in X-Shape, checked against a raw body of `bytes` bytes.
ApiResult<std::vector<int64_t>> raw_shape(std::string_view shape_header, size_t bytes) {
  if (trim(shape_header).empty()) {
    return bad_request(
        kErrInvalidShape,
        "an application/octet-stream body needs its shape in an X-Shape header, e.g. "
        "X-Shape: 1,3,224,224");
  }
  auto shape = parse_shape_header(shape_header);
  if (auto* error = std::get_if<ApiError>(&shape)) return *error;
  const auto& dims = std::get<std::vector<int64_t>>(shape);
  const int64_t count = *element_count(dims);
  const size_t expected = static_cast<size_t>(count) * sizeof(float);
  if (bytes != expected) {
    return bad_request(
        kErrSizeMismatch,
        fmt::format("the body has {} bytes but shape {} needs {} float32 values ({} bytes); send "
                    "raw little-endian float32 matching X-Shape",
                    bytes, format_shape(dims), count, expected));
  }
  return shape;
}

// Raw bodies are little-endian.
void to_native(std::vector<float>& values) {
  if constexpr (std::endian::native == std::endian::big) {
    for (float& value : values) {
      uint32_t bits = std::bit_cast<uint32_t>(value);
      value = std::bit_cast<float>(__builtin_bswap32(bits));
    }
  }
}

bool is_raw(std::string_view content_type) {
  return equals_ignore_case(media_type(content_type), "application/octet-stream");
}

ApiResult<TensorInput> parse_raw(std::string_view shape_header, std::string_view body) {
  auto shape = raw_shape(shape_header, body.size());
  if (auto* error = std::get_if<ApiError>(&shape)) return *error;
  TensorInput input;
  input.shape = std::get<std::vector<int64_t>>(std::move(shape));
  input.values.resize(body.size() / sizeof(float));
  std::memcpy(input.values.data(), body.data(), body.size());
  to_native(input.values);
  return input;
}

ApiResult<TensorInput> parse_json(std::string_view body) {
  // Bounded: a body nested thousands deep is refused before a value is built.
  auto parsed = parse_json_bounded(body, kMaxJsonDepth);
  if (!parsed) {
    return bad_request(kErrMalformedJson,
                       fmt::format("the body is {}; send {{\"shape\": [1, 3, 224, 224], "
                                   "\"data\": [...]}}",
                                   parsed.error().message));
  }
  const nlohmann::json& doc = *parsed;
  if (!doc.is_object() || !doc.contains("shape") || !doc.contains("data")) {
    return bad_request(
        kErrMalformedJson,
        "the JSON body needs an object with \"shape\" (a list of dimensions) and \"data\" (a "
        "flat list of numbers)");
  }
  if (doc.contains("dtype")) {
    if (!doc["dtype"].is_string())
      return bad_request(kErrUnsupportedDtype, "\"dtype\" must be the string \"float32\"");
    if (auto error = check_dtype(doc["dtype"].get<std::string>())) return *error;
  }
  const nlohmann::json& shape_json = doc["shape"];
  TensorInput input;
  if (!shape_json.is_array())
    return bad_request(kErrInvalidShape, "\"shape\" must be a list of positive integers");
  for (const nlohmann::json& dim : shape_json) {
    if (!dim.is_number_integer() || dim.get<int64_t>() <= 0) {
      return bad_request(kErrInvalidShape,
                         fmt::format("\"shape\" must be a list of positive integers, got {}",
                                     json_text(shape_json)));
    }
    input.shape.push_back(dim.get<int64_t>());
  }
  if (auto error = check_dims(input.shape, "\"shape\"")) return *error;
  const nlohmann::json& data = doc["data"];
  if (!data.is_array())
    return bad_request(kErrMalformedJson, "\"data\" must be a flat list of numbers");
  const int64_t count = *element_count(input.shape);
  if (static_cast<int64_t>(data.size()) != count) {
    return bad_request(kErrSizeMismatch,
                       fmt::format("\"data\" has {} values but shape {} needs {}", data.size(),
                                   format_shape(input.shape), count));
  }
  input.values.reserve(data.size());
  for (const nlohmann::json& value : data) {
    if (!value.is_number()) {
      return bad_request(kErrMalformedJson,
                         "\"data\" must be a flat list of numbers (no nesting, strings or null)");
    }
    input.values.push_back(value.get<float>());
  }
  return input;
}

}  // namespace

ApiResult<std::vector<int64_t>> parse_shape_header(std::string_view text) {
  std::string_view body = trim(text);
  if (body.size() >= 2 && body.front() == '[' && body.back() == ']')
    body = body.substr(1, body.size() - 2);
  std::vector<int64_t> shape;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find_first_of(",x", start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view part = trim(body.substr(start, end - start));
    int64_t value = 0;
    auto [stop, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || error != std::errc() || stop != part.data() + part.size() || value <= 0) {
      return bad_request(
          kErrInvalidShape,
          fmt::format(
              "X-Shape '{}' is not a list of positive integers; send e.g. X-Shape: 1,3,224,224",
              text));
    }
    shape.push_back(value);
    if (shape.size() > kMaxDims) break;
    start = end + 1;
  }
  if (auto error = check_dims(shape, "X-Shape")) return *error;
  return shape;
}

ApiResult<TensorInput> parse_predict_body(std::string_view content_type,
                                          std::string_view shape_header,
                                          std::string_view dtype_header, std::string_view body) {
  std::string_view type = media_type(content_type);
  if (equals_ignore_case(type, "application/octet-stream")) {
    if (auto error = check_dtype(trim(dtype_header))) return *error;
    return parse_raw(shape_header, body);
  }
  if (equals_ignore_case(type, "application/json")) return parse_json(body);
  return ApiError{
      415, kErrUnsupportedMediaType,
      fmt::format("Content-Type '{}' is not supported; send application/octet-stream (raw float32 "
                  "with X-Shape) or application/json",
                  content_type)};
}

PredictBody::PredictBody(std::string_view content_type, size_t content_length)
    : raw_(is_raw(content_type)) {
  if (raw_) {
    values_.resize((content_length + sizeof(float) - 1) / sizeof(float));
  } else {
    text_.reserve(content_length);
  }
}

void PredictBody::append(const char* data, size_t size) {
  if (!raw_) {
    text_.append(data, size);
    bytes_ += size;
    return;
  }
  const size_t needed = (bytes_ + size + sizeof(float) - 1) / sizeof(float);
  if (needed > values_.size()) values_.resize(std::max(needed, values_.size() * 2));
  std::memcpy(reinterpret_cast<char*>(values_.data()) + bytes_, data, size);
  bytes_ += size;
}

ApiResult<TensorInput> PredictBody::parse(std::string_view content_type,
                                          std::string_view shape_header,
                                          std::string_view dtype_header) && {
  if (!raw_) return parse_predict_body(content_type, shape_header, dtype_header, text_);
  if (auto error = check_dtype(trim(dtype_header))) return *error;
  auto shape = raw_shape(shape_header, bytes_);
  if (auto* error = std::get_if<ApiError>(&shape)) return *error;
  TensorInput input;
  input.shape = std::get<std::vector<int64_t>>(std::move(shape));
  values_.resize(bytes_ / sizeof(float));
  input.values = std::move(values_);
  to_native(input.values);
  return input;
}

std::optional<ApiError> check_input_shape(const std::vector<int64_t>& shape,
                                          const std::vector<int64_t>& sample_shape) {
  if (sample_shape.empty()) return std::nullopt;
  if (shape.size() == sample_shape.size() + 1 &&
      std::equal(sample_shape.begin(), sample_shape.end(), shape.begin() + 1)) {
    return std::nullopt;
  }
  std::vector<int64_t> expected{shape.empty() ? 1 : shape.front()};
  expected.insert(expected.end(), sample_shape.begin(), sample_shape.end());
  return bad_request(
      kErrShapeMismatch,
      fmt::format("input shape {} does not fit the model, which takes [N, {}] (e.g. {})",
                  format_shape(shape), fmt::join(sample_shape, ", "), format_shape(expected)));
}

std::vector<std::vector<TopEntry>> top_k(const std::vector<int64_t>& shape,
                                         const std::vector<float>& values, size_t k) {
  std::vector<std::vector<TopEntry>> rows;
  if (shape.size() != 2 || shape[1] <= 1 || k == 0) return rows;
  const auto columns = static_cast<size_t>(shape[1]);
  const auto count = static_cast<size_t>(shape[0]);
  if (values.size() < count * columns) return rows;
  for (size_t row = 0; row < count; ++row) {
    std::vector<TopEntry> entries;
    for (size_t col = 0; col < columns; ++col) {
      entries.push_back({static_cast<int64_t>(col), values[row * columns + col]});
    }
    const size_t keep = std::min(k, columns);
    std::partial_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(keep),
                      entries.end(), [](const TopEntry& a, const TopEntry& b) {
                        return a.score > b.score || (a.score == b.score && a.index < b.index);
                      });
    entries.resize(keep);
    rows.push_back(std::move(entries));
  }
  return rows;
}

std::string predict_json(const PredictAnswer& answer) {
  nlohmann::json doc = {{"model", answer.model},           {"version", answer.version},
                        {"request_id", answer.request_id}, {"output_shape", answer.output_shape},
                        {"latency_ms", answer.latency_ms}, {"queue_ms", answer.queue_ms}};
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : top_k(answer.output_shape, answer.output, kTopK)) {
    nlohmann::json entries = nlohmann::json::array();
    for (const TopEntry& entry : row)
      entries.push_back({{"index", entry.index}, {"score", entry.score}});
    rows.push_back(std::move(entries));
  }
  if (!rows.empty()) doc["top_k"] = std::move(rows);
  if (answer.output.size() <= kMaxInlineOutput) {
    nlohmann::json output = nlohmann::json::array();
    // NaN/Inf are not JSON; null marks them.
    for (float value : answer.output)
      output.push_back(std::isfinite(value) ? nlohmann::json(value) : nlohmann::json());
    doc["output"] = std::move(output);
  }
  return json_text(doc);
}

std::string error_json(const ApiError& error, std::string_view request_id) {
  nlohmann::json doc = {{"error", error.message}, {"error_type", error.error_type}};
  if (!request_id.empty()) doc["request_id"] = request_id;
  return json_text(doc);
}

std::optional<std::string> accept_request_id(std::string_view header) {
  if (header.empty() || header.size() > 128) return std::nullopt;
  for (char c : header) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  return std::string(header);
}

}  // namespace coldbench::workload::serve
