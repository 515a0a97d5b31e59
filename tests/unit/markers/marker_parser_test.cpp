#include "markers/marker_parser.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/utf8.hpp"

namespace coldbench::markers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Marker parse_ok(std::string_view line) {
  std::string why;
  auto marker = parse_marker_line(line, &why);
  EXPECT_TRUE(marker.has_value()) << line << ": " << why;
  return marker.value_or(Marker{});
}

// The reason a malformed line was rejected.
std::string rejected(std::string_view line) {
  std::string why;
  auto marker = parse_marker_line(line, &why);
  EXPECT_FALSE(marker.has_value()) << line;
  EXPECT_FALSE(why.empty()) << line;
  return why;
}

TEST(MarkersParser, Phase) {
  Marker m = parse_ok(R"({"v":1,"t":123456789,"kind":"phase","name":"model_loaded"})");
  EXPECT_EQ(m.kind, MarkerKind::Phase);
  EXPECT_EQ(m.t_ns, 123456789);
  EXPECT_EQ(m.phase.name, "model_loaded");
  EXPECT_EQ(m.phase.t_ns, 123456789);
}

TEST(MarkersParser, KeyOrderAndExtraKeysDoNotMatter) {
  Marker m = parse_ok(R"({"name":"a b/c.d","extra":[1],"kind":"phase","t":5,"v":1})");
  EXPECT_EQ(m.phase.name, "a b/c.d");
  EXPECT_EQ(m.t_ns, 5);
}

TEST(MarkersParser, TrailingCarriageReturnAndSpacesAreIgnored) {
  Marker m = parse_ok("{\"v\":1,\"t\":7,\"kind\":\"phase\",\"name\":\"p\"}  \r");
  EXPECT_EQ(m.phase.name, "p");
}

TEST(MarkersParser, FractionalTimeIsTruncatedToNanoseconds) {
  Marker m = parse_ok(R"({"v":1,"t":1.5e9,"kind":"phase","name":"p"})");
  EXPECT_EQ(m.t_ns, 1'500'000'000);
}

TEST(MarkersParser, MetricWithValuesAndUnit) {
  Marker m = parse_ok(
      R"({"v":1,"t":1,"kind":"metric","name":"latency","unit":"ms","values":[5.1,5.3,-2,0]})");
  EXPECT_EQ(m.kind, MarkerKind::Metric);
  EXPECT_EQ(m.metric.name, "latency");
  EXPECT_EQ(m.metric.unit, "ms");
  EXPECT_THAT(m.metric.values, ElementsAre(5.1, 5.3, -2.0, 0.0));
}

TEST(MarkersParser, MetricSingleValueAndNoUnit) {
  Marker m = parse_ok(R"({"v":1,"t":1,"kind":"metric","name":"throughput","value":1234.5})");
  EXPECT_EQ(m.metric.unit, "");
  EXPECT_THAT(m.metric.values, ElementsAre(1234.5));
}

TEST(MarkersParser, MetricNullValuesAreSkipped) {
  // Clients write non-finite values as null.
  Marker m = parse_ok(R"({"v":1,"t":1,"kind":"metric","name":"l","values":[1,null,2,null]})");
  EXPECT_THAT(m.metric.values, ElementsAre(1.0, 2.0));
  Marker empty = parse_ok(R"({"v":1,"t":1,"kind":"metric","name":"l","values":[]})");
  EXPECT_THAT(empty.metric.values, IsEmpty());
}

TEST(MarkersParser, InfoKeepsAnyJsonValue) {
  Marker n = parse_ok(R"({"v":1,"t":1,"kind":"info","name":"torch.num_threads","value":2})");
  EXPECT_EQ(n.kind, MarkerKind::Info);
  EXPECT_EQ(n.info.name, "torch.num_threads");
  EXPECT_EQ(n.info.value, 2);
  Marker o = parse_ok(R"({"v":1,"t":1,"kind":"info","name":"cfg","value":{"a":[1,"x"]}})");
  EXPECT_EQ(o.info.value["a"][1], "x");
  Marker z = parse_ok(R"({"v":1,"t":1,"kind":"info","name":"none","value":null})");
  EXPECT_TRUE(z.info.value.is_null());
}

TEST(MarkersParser, WhyIsOptional) {
  EXPECT_FALSE(parse_marker_line("nope").has_value());
  EXPECT_TRUE(parse_marker_line(R"({"v":1,"t":1,"kind":"phase","name":"p"})").has_value());
}

TEST(MarkersParser, NotAJsonObject) {
  EXPECT_THAT(rejected(""), HasSubstr("empty line"));
  EXPECT_THAT(rejected("   \r"), HasSubstr("empty line"));
  EXPECT_THAT(rejected("model loaded"), HasSubstr("not valid JSON"));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,)"), HasSubstr("not valid JSON"));
  EXPECT_THAT(rejected(R"({"v":1} {"v":1})"), HasSubstr("not valid JSON"));
  EXPECT_THAT(rejected("[1,2]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(rejected("42"), HasSubstr("not a JSON object"));
  EXPECT_THAT(rejected(R"("phase")"), HasSubstr("not a JSON object"));
}

TEST(MarkersParser, VersionMustBeTheInteger1) {
  EXPECT_THAT(rejected(R"({"t":1,"kind":"phase","name":"p"})"), HasSubstr("missing integer \"v\""));
  EXPECT_THAT(rejected(R"({"v":"1","t":1,"kind":"phase","name":"p"})"),
              HasSubstr("missing integer \"v\""));
  EXPECT_THAT(rejected(R"({"v":1.0,"t":1,"kind":"phase","name":"p"})"),
              HasSubstr("missing integer \"v\""));
  EXPECT_THAT(rejected(R"({"v":2,"t":1,"kind":"phase","name":"p"})"),
              HasSubstr("unsupported protocol version 2"));
  EXPECT_THAT(rejected(R"({"v":0,"t":1,"kind":"phase","name":"p"})"), HasSubstr("version 0"));
}

TEST(MarkersParser, TimeMustBeANonNegativeNumber) {
  EXPECT_THAT(rejected(R"({"v":1,"kind":"phase","name":"p"})"), HasSubstr("missing numeric \"t\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":"123","kind":"phase","name":"p"})"),
              HasSubstr("missing numeric \"t\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":null,"kind":"phase","name":"p"})"),
              HasSubstr("missing numeric \"t\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":-1,"kind":"phase","name":"p"})"), HasSubstr("non-negative"));
  EXPECT_THAT(rejected(R"({"v":1,"t":-0.5,"kind":"phase","name":"p"})"), HasSubstr("non-negative"));
}

TEST(MarkersParser, TimeBeyondInt64IsRejectedNotWrapped) {
  // 2^64-1 parses as an unsigned integer; it must not come back as t = -1,
  // and 1e30 must not go through an undefined double -> int64 conversion.
  EXPECT_THAT(rejected(R"({"v":1,"t":18446744073709551615,"kind":"phase","name":"p"})"),
              HasSubstr("\"t\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":1e30,"kind":"phase","name":"p"})"), HasSubstr("\"t\""));
  EXPECT_EQ(parse_ok(R"({"v":1,"t":9223372036854775807,"kind":"phase","name":"p"})").t_ns,
            9223372036854775807LL);
}

TEST(MarkersParser, KindAndNameAreRequired) {
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"name":"p"})"), HasSubstr("missing string \"kind\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":1,"name":"p"})"),
              HasSubstr("missing string \"kind\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"phase"})"), HasSubstr("\"name\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"phase","name":7})"), HasSubstr("\"name\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"phase","name":""})"), HasSubstr("\"name\""));
}

TEST(MarkersParser, NameWithControlCharactersOrTooLongIsRejected) {
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"phase","name":"a\nb"})"), HasSubstr("\"name\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"phase","name":"tab\there"})"),
              HasSubstr("\"name\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"phase","name":"\u0001"})"), HasSubstr("\"name\""));
  const std::string long_name(201, 'x');
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"phase","name":")" + long_name + "\"}"),
              HasSubstr("\"name\""));
  parse_ok(R"({"v":1,"t":1,"kind":"phase","name":")" + std::string(200, 'x') + "\"}");
  parse_ok(R"({"v":1,"t":1,"kind":"phase","name":"caf\u00e9 \u2713"})");  // non-ASCII is fine
}

TEST(MarkersParser, UnknownKindIsNamed) {
  std::string why = rejected(R"({"v":1,"t":1,"kind":"span","name":"p"})");
  EXPECT_THAT(why, HasSubstr("unknown kind \"span\""));
  EXPECT_THAT(why, HasSubstr("phase, metric or info"));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"Phase","name":"p"})"), HasSubstr("unknown kind"));
}

TEST(MarkersParser, MetricValuesMustBeNumbers) {
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"metric","name":"m"})"),
              HasSubstr("without \"values\""));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"metric","name":"m","values":[1,"2"]})"),
              HasSubstr("must be numbers"));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"metric","name":"m","values":[[1]]})"),
              HasSubstr("must be numbers"));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"metric","name":"m","values":"1"})"),
              HasSubstr("must be a number or an array"));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"metric","name":"m","value":true})"),
              HasSubstr("must be a number or an array"));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"metric","name":"m","values":{"a":1}})"),
              HasSubstr("must be a number or an array"));
}

TEST(MarkersParser, MetricUnitMustBeAString) {
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"metric","name":"m","unit":5,"values":[1]})"),
              HasSubstr("\"unit\" must be a string"));
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"metric","name":"m","unit":null,"values":[1]})"),
              HasSubstr("\"unit\" must be a string"));
}

TEST(MarkersParser, InfoNeedsAValue) {
  EXPECT_THAT(rejected(R"({"v":1,"t":1,"kind":"info","name":"i"})"),
              HasSubstr("info without \"value\""));
}

std::string info_with_value(const std::string& value) {
  return R"({"v":1,"t":5,"kind":"info","name":"deep","value":)" + value + "}";
}

std::string nested_arrays(std::size_t depth, const std::string& inside = "") {
  return std::string(depth, '[') + inside + std::string(depth, ']');
}

// Found in review: a marker nested 100,000 deep overflowed the stack in a
// recursive JSON copy. The depth is checked while parsing, without recursion.
TEST(MarkersParser, RejectsNestingDeeperThanLimit) {
  for (std::size_t depth : {std::size_t{64}, std::size_t{10'000}, std::size_t{100'000}}) {
    std::string why = rejected(info_with_value(nested_arrays(depth)));
    EXPECT_THAT(why, HasSubstr("nested deeper than 64 levels")) << depth;
    EXPECT_THAT(why, HasSubstr("limit")) << depth;
  }
  // 30,000 levels in a 60 KB line: the case whose export was 1.8 GB.
  EXPECT_THAT(rejected(info_with_value(nested_arrays(30'000))), HasSubstr("nested deeper than 64"));
  std::string objects;
  for (int i = 0; i < 100'000; ++i) objects += R"({"a":)";
  objects += "1" + std::string(100'000, '}');
  EXPECT_THAT(rejected(info_with_value(objects)), HasSubstr("nested deeper than 64"));
}

TEST(MarkersParser, AcceptsNestingUpToTheLimit) {
  // The marker object is level 1, so an info value may nest 63 more levels.
  Marker m = parse_ok(info_with_value(nested_arrays(63, "1")));
  nlohmann::json* inner = &m.info.value;
  for (int level = 0; level < 63; ++level) {
    ASSERT_TRUE(inner->is_array()) << level;
    inner = &(*inner)[0];
  }
  EXPECT_EQ(*inner, 1);
}

TEST(MarkersParser, RejectsInfoValueLargerThan64KiB) {
  std::string why = rejected(info_with_value("\"" + std::string(70 * 1024, 'x') + "\""));
  EXPECT_THAT(why, HasSubstr("info value is 71682 bytes serialised, more than the limit of 64 KiB"));
  // 60 KB inside the limits, nested a little: kept whole.
  std::string zeros = "0";
  for (int i = 1; i < 30'000; ++i) zeros += ",0";
  Marker m = parse_ok(info_with_value(nested_arrays(10, zeros)));
  nlohmann::json* inner = &m.info.value;
  for (int level = 0; level < 9; ++level) inner = &(*inner)[0];
  EXPECT_EQ(inner->size(), 30'000u);
}

TEST(MarkersParser, MetricMayCarryMoreThanTheInfoLimit) {
  // The size limit is for info values; a metric's values are bounded by the line (64 MiB).
  std::string values = "1.5";
  for (int i = 1; i < 100'000; ++i) values += ",1.5";
  Marker m = parse_ok(R"({"v":1,"t":1,"kind":"metric","name":"l","values":[)" + values + "]}");
  EXPECT_EQ(m.metric.values.size(), 100'000u);
}

TEST(MarkersParser, LineThatIsNotUtf8IsMalformedWithAPrintableReason) {
  std::string why = rejected("{\"v\":1,\"t\":1,\"kind\":\"phase\",\"name\":\"a\xff\"}");
  EXPECT_THAT(why, HasSubstr("not valid JSON"));
  EXPECT_THAT(why, HasSubstr("\\xFF"));
  EXPECT_TRUE(is_valid_utf8(why));
}

}  // namespace
}  // namespace coldbench::markers
