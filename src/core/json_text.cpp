#include "core/json_text.hpp"

#include "core/utf8.hpp"

namespace coldbench {
namespace {

using nlohmann::json;

// nlohmann's own DOM builder behind a depth count: the parse stops at the
// first array or object past the limit, so a 100,000-deep line costs 65 steps.
class DepthLimitedDom {
 public:
  DepthLimitedDom(json& result, int max_depth) : dom_(result, /*allow_exceptions=*/false), max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool value) { return dom_.boolean(value); }
  bool number_integer(json::number_integer_t value) { return dom_.number_integer(value); }
  bool number_unsigned(json::number_unsigned_t value) { return dom_.number_unsigned(value); }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    return dom_.number_float(value, text);
  }
  bool string(json::string_t& value) { return dom_.string(value); }
  bool binary(json::binary_t& value) { return dom_.binary(value); }
  bool key(json::string_t& value) { return dom_.key(value); }
  bool start_object(std::size_t size) { return enter() && dom_.start_object(size); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t size) { return enter() && dom_.start_array(size); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t, const std::string&, const json::exception& error) {
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." without the tag; the
    // token it quotes is the input's, so it may hold bytes that are not UTF-8.
    std::string_view what = error.what();
    if (auto tag_end = what.find("] "); tag_end != std::string_view::npos) what.remove_prefix(tag_end + 2);
    error_ = "not valid JSON (" + escape_invalid_utf8(what) + ")";
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  bool enter() {
    if (++depth_ <= max_depth_) return true;
    error_ = fmt::format("nested deeper than {} levels", max_depth_);
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  int max_depth_;
  int depth_ = 0;
  std::string error_;
};

}  // namespace

Expected<json> parse_json_bounded(std::string_view text, int max_depth) {
  json result;
  DepthLimitedDom handler(result, max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &handler);
  } catch (const json::exception& e) {  // not expected with exceptions off; never let one escape
    return make_error("not valid JSON ({})", escape_invalid_utf8(e.what()));
  }
  if (!ok) return Error{handler.error().empty() ? "not valid JSON" : handler.error()};
  return result;
}

}  // namespace coldbench
