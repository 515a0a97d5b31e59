#include "torch/serve/request.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

namespace coldbench::workload::serve {
namespace {

std::string raw_floats(const std::vector<float>& values) {
  std::string body(values.size() * sizeof(float), '\0');
  std::memcpy(body.data(), values.data(), body.size());
  return body;
}

const ApiError& error_of(const ApiResult<TensorInput>& result) {
  static const ApiError none{0, "none", "parsed fine"};
  const ApiError* error = std::get_if<ApiError>(&result);
  return error ? *error : none;
}

TEST(ShapeHeader, AcceptsCommaXAndBracketForms) {
  for (const char* text : {"1,3,4,4", "1x3x4x4", "[1, 3, 4, 4]", " 1 , 3,4 ,4 "}) {
    auto shape = parse_shape_header(text);
    ASSERT_TRUE(std::holds_alternative<std::vector<int64_t>>(shape)) << text;
    EXPECT_EQ(std::get<std::vector<int64_t>>(shape), (std::vector<int64_t>{1, 3, 4, 4})) << text;
  }
}

TEST(ShapeHeader, RejectsJunkZeroNegativeTooManyDimsAndOverflow) {
  for (const char* text : {"", "a,b", "1,0,3", "1,-3", "1,,3", "1,2,3,4,5,6,7,8,9",
                           "99999999999,99999999999", "65536,65536,65536"}) {
    auto shape = parse_shape_header(text);
    ASSERT_TRUE(std::holds_alternative<ApiError>(shape)) << text;
    EXPECT_EQ(std::get<ApiError>(shape).status, 400) << text;
    EXPECT_EQ(std::get<ApiError>(shape).error_type, kErrInvalidShape) << text;
  }
}

TEST(PredictBody, RawFloat32WithShapeHeader) {
  auto result =
      parse_predict_body("application/octet-stream", "1,2", "", raw_floats({1.5f, -2.0f}));
  ASSERT_TRUE(std::holds_alternative<TensorInput>(result)) << error_of(result).message;
  const auto& input = std::get<TensorInput>(result);
  EXPECT_EQ(input.shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(input.values, (std::vector<float>{1.5f, -2.0f}));
}

TEST(PredictBody, RawBodyLengthNotMatchingShapeIsSizeMismatch) {
  auto result = parse_predict_body("application/octet-stream", "1,3", "", raw_floats({1, 2}));
  EXPECT_EQ(error_of(result).status, 400);
  EXPECT_EQ(error_of(result).error_type, kErrSizeMismatch);
  EXPECT_NE(error_of(result).message.find("8 bytes"), std::string::npos)
      << error_of(result).message;
  // A body one byte short (not a whole number of floats) too.
  EXPECT_EQ(error_of(parse_predict_body("application/octet-stream", "1,2", "",
                                        raw_floats({1, 2}).substr(1)))
                .error_type,
            kErrSizeMismatch);
}

TEST(PredictBody, RawBodyWithoutShapeHeaderSaysSo) {
  auto result = parse_predict_body("application/octet-stream", "", "", raw_floats({1}));
  EXPECT_EQ(error_of(result).error_type, kErrInvalidShape);
  EXPECT_NE(error_of(result).message.find("X-Shape"), std::string::npos);
}

TEST(PredictBody, OtherDtypesAreRefused) {
  EXPECT_EQ(
      error_of(parse_predict_body("application/octet-stream", "1", "float16", raw_floats({1})))
          .error_type,
      kErrUnsupportedDtype);
  EXPECT_EQ(error_of(parse_predict_body("application/json", "", "",
                                        R"({"shape":[1],"data":[1],"dtype":"int8"})"))
                .error_type,
            kErrUnsupportedDtype);
}

TEST(PredictBody, JsonBodyWithCharsetParameter) {
  auto result = parse_predict_body("Application/JSON; charset=utf-8", "", "",
                                   R"({"shape":[2,2],"data":[1,2,3,4.5]})");
  ASSERT_TRUE(std::holds_alternative<TensorInput>(result)) << error_of(result).message;
  EXPECT_EQ(std::get<TensorInput>(result).values, (std::vector<float>{1, 2, 3, 4.5f}));
}

TEST(PredictBody, MalformedJsonVariantsAreMalformedJson) {
  for (const char* body :
       {"{", "[1,2]", R"({"shape":[1]})", R"({"shape":[1],"data":"x"})",
        R"({"shape":[1],"data":[null]})", R"({"shape":[2],"data":[[1],[2]]})", ""}) {
    auto result = parse_predict_body("application/json", "", "", body);
    EXPECT_EQ(error_of(result).status, 400) << body;
    EXPECT_EQ(error_of(result).error_type, kErrMalformedJson) << body;
  }
}

// Request bodies are parsed with the bounded parser: a body nested 100k deep
// is refused while parsing, never built into a value.
TEST(PredictBody, DeeplyNestedJsonIsRefusedWhileParsing) {
  const std::string body =
      R"({"shape":[1],"data":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto result = parse_predict_body("application/json", "", "", body);
  EXPECT_EQ(error_of(result).error_type, kErrMalformedJson);
  EXPECT_NE(error_of(result).message.find("nested deeper"), std::string::npos)
      << error_of(result).message;
}

TEST(PredictBody, JsonShapeProblems) {
  EXPECT_EQ(error_of(parse_predict_body("application/json", "", "", R"({"shape":[1,0],"data":[]})"))
                .error_type,
            kErrInvalidShape);
  EXPECT_EQ(
      error_of(parse_predict_body("application/json", "", "", R"({"shape":"1,2","data":[1,2]})"))
          .error_type,
      kErrInvalidShape);
  EXPECT_EQ(
      error_of(parse_predict_body("application/json", "", "", R"({"shape":[1,3],"data":[1,2]})"))
          .error_type,
      kErrSizeMismatch);
}

TEST(PredictBody, UnsupportedContentTypeIs415) {
  for (const char* type : {"text/plain", "", "multipart/form-data; boundary=x"}) {
    auto result = parse_predict_body(type, "1", "", raw_floats({1}));
    EXPECT_EQ(error_of(result).status, 415) << type;
    EXPECT_EQ(error_of(result).error_type, kErrUnsupportedMediaType) << type;
  }
}

// PredictBody (read in pieces, as serve's content reader hands them over)
// must answer exactly as parse_predict_body on the whole body.
ApiResult<TensorInput> in_pieces(const std::string& type, const std::string& shape,
                                 const std::string& dtype, const std::string& body, size_t hint,
                                 size_t piece) {
  PredictBody reader(type, hint);
  for (size_t at = 0; at < body.size(); at += piece)
    reader.append(body.data() + at, std::min(piece, body.size() - at));
  EXPECT_EQ(reader.bytes(), body.size());
  return std::move(reader).parse(type, shape, dtype);
}

TEST(PiecewiseBody, RawPiecesOfAnySizeGiveTheSameValues) {
  std::vector<float> values(3 * 5 * 7);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * static_cast<float>(i) - 3.0f;
  const std::string body = raw_floats(values);
  for (size_t piece : {size_t{1}, size_t{3}, size_t{4}, size_t{7}, size_t{64}, body.size()}) {
    for (size_t hint : {body.size(), size_t{0}, size_t{5}, body.size() * 3}) {
      auto parsed = in_pieces("application/octet-stream", "1,3,5,7", "", body, hint, piece);
      ASSERT_TRUE(std::holds_alternative<TensorInput>(parsed))
          << "piece " << piece << " hint " << hint << ": " << error_of(parsed).message;
      const TensorInput& input = std::get<TensorInput>(parsed);
      EXPECT_EQ(input.shape, (std::vector<int64_t>{1, 3, 5, 7}));
      EXPECT_EQ(input.values, values) << "piece " << piece << " hint " << hint;
    }
  }
}

TEST(PiecewiseBody, ErrorsMatchTheWholeBodyParser) {
  const std::string four = raw_floats({1, 2, 3, 4});
  struct Case {
    std::string type, shape, dtype, body;
  };
  const std::vector<Case> cases = {
      {"application/octet-stream", "1,5", "", four},           // too few bytes
      {"application/octet-stream", "1,3", "", four},           // too many
      {"application/octet-stream", "1,4", "", four + "xy"},    // not whole floats
      {"application/octet-stream", "", "", four},              // no X-Shape
      {"application/octet-stream", "1,4", "float16", four},    // dtype
      {"application/octet-stream", "1,0", "", four},           // bad shape
      {"text/plain", "1,4", "", four},                         // media type
      {"application/json; charset=utf-8", "", "", R"({"shape":[1,2],"data":[1,2,3]})"},
      {"application/json", "", "", R"({"shape":[1,2],"data":)"},
  };
  for (const Case& c : cases) {
    const ApiError whole = error_of(parse_predict_body(c.type, c.shape, c.dtype, c.body));
    ASSERT_NE(whole.error_type, "none") << c.type << " " << c.shape;
    for (size_t piece : {size_t{1}, size_t{5}, c.body.size()}) {
      const ApiError pieces = error_of(in_pieces(c.type, c.shape, c.dtype, c.body, 16, piece));
      EXPECT_EQ(pieces.status, whole.status) << c.type << " " << c.shape << " piece " << piece;
      EXPECT_EQ(pieces.error_type, whole.error_type) << c.type << " " << c.shape;
      EXPECT_EQ(pieces.message, whole.message) << c.type << " " << c.shape;
    }
  }
}

TEST(PiecewiseBody, JsonInPiecesParsesAsAWhole) {
  const std::string body = R"({"shape":[1,2],"data":[1.5,-2]})";
  auto parsed = in_pieces("application/json", "", "", body, body.size(), 3);
  ASSERT_TRUE(std::holds_alternative<TensorInput>(parsed)) << error_of(parsed).message;
  EXPECT_EQ(std::get<TensorInput>(parsed).values, (std::vector<float>{1.5f, -2.0f}));
}

TEST(InputShape, AnyBatchOfTheModelsSampleShapeFits) {
  EXPECT_FALSE(check_input_shape({1, 3, 8, 8}, {3, 8, 8}));
  EXPECT_FALSE(check_input_shape({4, 3, 8, 8}, {3, 8, 8}));
  EXPECT_FALSE(check_input_shape({2, 7}, {}));  // no sidecar: not checked
  auto wrong = check_input_shape({1, 3, 9, 8}, {3, 8, 8});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->error_type, kErrShapeMismatch);
  EXPECT_NE(wrong->message.find("[1, 3, 8, 8]"), std::string::npos) << wrong->message;
  EXPECT_TRUE(check_input_shape({3, 8, 8}, {3, 8, 8}));  // batch dimension missing
}

TEST(TopK, LargestScoresPerRowTiesByLowerIndex) {
  auto rows = top_k({2, 4}, {0.1f, 0.9f, 0.5f, 0.9f, 4, 3, 2, 1}, 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].index, 1);
  EXPECT_EQ(rows[0][1].index, 3);
  EXPECT_EQ(rows[1][0].index, 0);
  EXPECT_EQ(rows[1][1].index, 1);
  EXPECT_EQ(top_k({1, 3}, {1, 2, 3}, 5)[0].size(), 3u);             // k capped at the classes
  EXPECT_TRUE(top_k({1, 3, 2}, std::vector<float>(6), 5).empty());  // not [N, C]
  EXPECT_TRUE(top_k({4, 1}, std::vector<float>(4), 5).empty());     // one column: not classes
}

TEST(PredictAnswerJson, CarriesShapeTopKLatencyIdAndSmallOutputs) {
  PredictAnswer answer{"m", "v1", "req-1", {1, 3}, {0.2f, 0.7f, 0.1f}, 1.25};
  auto doc = nlohmann::json::parse(predict_json(answer));
  EXPECT_EQ(doc["output_shape"], nlohmann::json::array({1, 3}));
  EXPECT_EQ(doc["top_k"][0][0]["index"], 1);
  EXPECT_EQ(doc["request_id"], "req-1");
  EXPECT_DOUBLE_EQ(doc["latency_ms"].get<double>(), 1.25);
  EXPECT_EQ(doc["output"].size(), 3u);
}

TEST(ErrorJson, HasErrorAndTypeEvenForInvalidUtf8) {
  auto doc = nlohmann::json::parse(error_json({400, "malformed_json", "bad \xff byte"}, "id-7"));
  EXPECT_EQ(doc["error_type"], "malformed_json");
  EXPECT_EQ(doc["request_id"], "id-7");
  EXPECT_TRUE(doc["error"].is_string());
}

TEST(RequestId, AcceptsVisibleAsciiUpTo128) {
  EXPECT_EQ(accept_request_id("abc-123"), "abc-123");
  EXPECT_FALSE(accept_request_id(""));
  EXPECT_FALSE(accept_request_id("has space"));
  EXPECT_FALSE(accept_request_id(std::string(129, 'a')));
  EXPECT_FALSE(accept_request_id("new\nline"));
}

}  // namespace
}  // namespace coldbench::workload::serve
