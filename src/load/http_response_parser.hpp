#pragma once
// An incremental HTTP/1.1 response parser for the load client: bytes arrive in
// whatever pieces the socket gives; a response ends by Content-Length, by the
// last chunk of a chunked body, or (neither given) when the server closes.
// Requests are not pipelined, so bytes after a complete response are an error.

#include <cstdint>
#include <string>
#include <string_view>

namespace coldbench::load {

class HttpResponseParser {
 public:
  enum class State { NeedMore, Complete, Error };

  // Feeds the next bytes of the response.
  State feed(std::string_view bytes);
  // The server closed the connection: completes a body that runs to the close.
  State finish_on_close();
  // Ready for the next response on the same connection.
  void reset();

  State state() const { return state_; }
  int status() const { return status_; }
  bool keep_alive() const { return keep_alive_; }
  int64_t body_bytes() const { return body_bytes_; }
  int64_t total_bytes() const { return total_bytes_; }
  const std::string& error() const { return error_; }
  // X-Coldbench-Arm of an A/B experiment (docs/serve.md): 0 for "A", 1 for
  // "B"; -1 when absent or another value.
  int arm() const { return arm_; }
  // Some bytes of this response arrived (a close now is a reset mid-response).
  bool started() const { return total_bytes_ > 0; }

 private:
  enum class Part { Head, Body, ChunkSize, ChunkData, ChunkEnd, Trailers, UntilClose, Done };
  State fail(std::string message);
  bool parse_head(std::string_view head);
  State step();

  State state_ = State::NeedMore;
  Part part_ = Part::Head;
  std::string buffer_;  // unparsed bytes (head, a chunk-size line, trailers)
  int status_ = 0;
  bool keep_alive_ = true;
  bool chunked_ = false;
  int64_t content_length_ = -1;
  int arm_ = -1;
  int64_t remaining_ = 0;  // of the body or the current chunk
  int64_t body_bytes_ = 0;
  int64_t total_bytes_ = 0;
  std::string error_;
};

}  // namespace coldbench::load
