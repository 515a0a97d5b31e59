#include "load/http_response_parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace coldbench::load {
namespace {

constexpr std::size_t kMaxHead = 64 * 1024;  // a head this long is not a server we can load

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool contains_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void HttpResponseParser::reset() {
  *this = HttpResponseParser();
}

HttpResponseParser::State HttpResponseParser::fail(std::string message) {
  error_ = std::move(message);
  keep_alive_ = false;
  return state_ = State::Error;
}

bool HttpResponseParser::parse_head(std::string_view head) {
  const auto line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  if (line.substr(0, 5) != "HTTP/" || line.size() < 12 || line[8] != ' ') {
    fail("not an HTTP/1.x status line");
    return false;
  }
  const bool http10 = line.substr(5, 3) == "1.0";
  keep_alive_ = !http10;
  const auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status_);
  if (ec != std::errc() || end != line.data() + 12 || status_ < 100 || status_ > 599) {
    fail("bad status code");
    return false;
  }
  std::string_view rest =
      line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    const auto eol = rest.find("\r\n");
    std::string_view field = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    if (field.empty()) continue;
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) {
      fail("header line without ':'");
      return false;
    }
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trim(field.substr(colon + 1));
    if (iequals(name, "content-length")) {
      int64_t length = -1;
      const auto [e, c] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (c != std::errc() || e != value.data() + value.size() || length < 0) {
        fail("bad Content-Length");
        return false;
      }
      content_length_ = length;
    } else if (iequals(name, "transfer-encoding")) {
      chunked_ = contains_token(value, "chunked");
    } else if (iequals(name, "x-coldbench-arm")) {
      arm_ = value == "A" ? 0 : value == "B" ? 1 : -1;
    } else if (iequals(name, "connection")) {
      if (contains_token(value, "close")) keep_alive_ = false;
      if (contains_token(value, "keep-alive")) keep_alive_ = true;
    }
  }
  return true;
}

HttpResponseParser::State HttpResponseParser::feed(std::string_view bytes) {
  if (state_ != State::NeedMore) {
    return bytes.empty() ? state_
                         : fail("bytes after a complete response (the client does not pipeline)");
  }
  total_bytes_ += static_cast<int64_t>(bytes.size());
  buffer_.append(bytes);
  return step();
}

// Consumes buffer_ as far as the current part allows.
HttpResponseParser::State HttpResponseParser::step() {
  std::size_t at = 0;
  auto take_line = [&](std::string_view& line) {
    const auto eol = buffer_.find("\r\n", at);
    if (eol == std::string::npos) return false;
    line = std::string_view(buffer_).substr(at, eol - at);
    at = eol + 2;
    return true;
  };
  while (true) {
    if (part_ == Part::Head) {
      const auto end = buffer_.find("\r\n\r\n", at);
      if (end == std::string::npos) {
        if (buffer_.size() - at > kMaxHead) return fail("response head over 64 KiB");
        break;
      }
      if (!parse_head(std::string_view(buffer_).substr(at, end + 2 - at))) return state_;
      at = end + 4;
      if (status_ < 200) {  // 1xx: an interim answer; the real one follows
        status_ = 0;
        continue;
      }
      if (status_ == 204 || status_ == 304) {
        part_ = Part::Done;
      } else if (chunked_) {
        part_ = Part::ChunkSize;
      } else if (content_length_ >= 0) {
        remaining_ = content_length_;
        part_ = remaining_ > 0 ? Part::Body : Part::Done;
      } else {
        keep_alive_ = false;
        part_ = Part::UntilClose;
      }
    } else if (part_ == Part::Body || part_ == Part::ChunkData || part_ == Part::UntilClose) {
      const int64_t available = static_cast<int64_t>(buffer_.size() - at);
      const int64_t used = part_ == Part::UntilClose ? available : std::min(available, remaining_);
      body_bytes_ += used;
      at += static_cast<std::size_t>(used);
      if (part_ == Part::UntilClose) break;
      remaining_ -= used;
      if (remaining_ > 0) break;
      part_ = part_ == Part::Body ? Part::Done : Part::ChunkEnd;
    } else if (part_ == Part::ChunkSize) {
      std::string_view line;
      if (!take_line(line)) {
        if (buffer_.size() - at > 1024) return fail("chunk-size line over 1 KiB");
        break;
      }
      line = line.substr(0, line.find(';'));  // chunk extensions are ignored
      line = trim(line);
      int64_t size = 0;
      const auto [e, c] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
      if (line.empty() || c != std::errc() || e != line.data() + line.size() || size < 0) {
        return fail("bad chunk size");
      }
      remaining_ = size;
      part_ = size == 0 ? Part::Trailers : Part::ChunkData;
    } else if (part_ == Part::ChunkEnd) {
      if (buffer_.size() - at < 2) break;
      if (buffer_.compare(at, 2, "\r\n") != 0) return fail("chunk not followed by CRLF");
      at += 2;
      part_ = Part::ChunkSize;
    } else if (part_ == Part::Trailers) {
      std::string_view line;
      if (!take_line(line)) {
        if (buffer_.size() - at > kMaxHead) return fail("trailers over 64 KiB");
        break;
      }
      if (line.empty()) part_ = Part::Done;
    } else {  // Done
      if (at != buffer_.size())
        return fail("bytes after a complete response (the client does not pipeline)");
      buffer_.clear();
      return state_ = State::Complete;
    }
  }
  buffer_.erase(0, at);
  return state_;
}

HttpResponseParser::State HttpResponseParser::finish_on_close() {
  if (state_ != State::NeedMore) return state_;
  if (part_ == Part::UntilClose) {
    part_ = Part::Done;
    return step();
  }
  return fail(started() ? "connection closed mid-response" : "connection closed before a response");
}

}  // namespace coldbench::load
