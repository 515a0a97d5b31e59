#include "load/http_response_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace coldbench::load {
namespace {

using State = HttpResponseParser::State;

// Feeds `text` in pieces of `step` bytes; returns the state after the last piece.
State feed_in_pieces(HttpResponseParser& parser, const std::string& text, std::size_t step) {
  State state = State::NeedMore;
  for (std::size_t at = 0; at < text.size(); at += step) state = parser.feed(text.substr(at, step));
  return state;
}

const std::string kLengthResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
const std::string kChunkedResponse =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n "
    "world\r\n0\r\nX-Trailer: 1\r\n\r\n";

TEST(HttpResponseParser, ContentLengthInOnePiece) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed(kLengthResponse), State::Complete);
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.body_bytes(), 11);
  EXPECT_TRUE(parser.keep_alive());
  EXPECT_EQ(parser.total_bytes(), static_cast<int64_t>(kLengthResponse.size()));
}

TEST(HttpResponseParser, ContentLengthSplitAtEveryByte) {
  HttpResponseParser parser;
  for (std::size_t i = 0; i + 1 < kLengthResponse.size(); ++i) {
    ASSERT_EQ(parser.feed(kLengthResponse.substr(i, 1)), State::NeedMore) << i;
  }
  EXPECT_EQ(parser.feed(kLengthResponse.substr(kLengthResponse.size() - 1)), State::Complete);
  EXPECT_EQ(parser.body_bytes(), 11);
}

TEST(HttpResponseParser, ChunkedSplitAcrossReadsOfEverySize) {
  for (std::size_t step = 1; step <= kChunkedResponse.size(); ++step) {
    HttpResponseParser parser;
    EXPECT_EQ(feed_in_pieces(parser, kChunkedResponse, step), State::Complete) << "step " << step;
    EXPECT_EQ(parser.body_bytes(), 11) << "step " << step;
  }
}

TEST(HttpResponseParser, ResetReadiesTheNextResponseOnTheSameConnection) {
  HttpResponseParser parser;
  ASSERT_EQ(parser.feed(kChunkedResponse), State::Complete);
  parser.reset();
  EXPECT_EQ(parser.feed("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"),
            State::Complete);
  EXPECT_EQ(parser.status(), 503);
}

TEST(HttpResponseParser, ConnectionCloseAndHttp10EndKeepAlive) {
  HttpResponseParser close;
  close.feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(close.keep_alive());
  HttpResponseParser old;
  old.feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(old.keep_alive());
}

TEST(HttpResponseParser, BodyWithoutLengthEndsAtClose) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\n\r\nabc"), State::NeedMore);
  EXPECT_EQ(parser.feed("def"), State::NeedMore);
  EXPECT_EQ(parser.finish_on_close(), State::Complete);
  EXPECT_EQ(parser.body_bytes(), 6);
  EXPECT_FALSE(parser.keep_alive());
}

TEST(HttpResponseParser, CloseMidBodyIsAnError) {
  HttpResponseParser parser;
  parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(parser.finish_on_close(), State::Error);
  EXPECT_NE(parser.error().find("mid-response"), std::string::npos);
}

TEST(HttpResponseParser, InterimContinueIsSkipped) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"),
            State::Complete);
  EXPECT_EQ(parser.status(), 201);
}

TEST(HttpResponseParser, RejectsGarbageAndBadLengths) {
  HttpResponseParser garbage;
  EXPECT_EQ(garbage.feed("SSH-2.0-OpenSSH\r\n\r\n"), State::Error);
  HttpResponseParser length;
  EXPECT_EQ(length.feed("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n"), State::Error);
  HttpResponseParser chunk;
  EXPECT_EQ(chunk.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            State::Error);
}

TEST(HttpResponseParser, BytesAfterACompleteResponseAreAnError) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed(kLengthResponse + "HTTP/1.1"), State::Error);
}

TEST(HttpResponseParser, NoBodyFor204) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 204 No Content\r\n\r\n"), State::Complete);
}

TEST(HttpResponseParser, ReadsTheArmOfAnAbServer) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nx-coldbench-arm: B\r\nContent-Length: 0\r\n\r\n"),
            State::Complete);
  EXPECT_EQ(parser.arm(), 1);
  parser.reset();
  EXPECT_EQ(parser.arm(), -1);
  EXPECT_EQ(parser.feed("HTTP/1.1 500 Oops\r\nX-Coldbench-Arm: A\r\nContent-Length: 0\r\n\r\n"),
            State::Complete);
  EXPECT_EQ(parser.arm(), 0);
  parser.reset();
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nX-Coldbench-Arm: C\r\nContent-Length: 0\r\n\r\n"),
            State::Complete);
  EXPECT_EQ(parser.arm(), -1);
}

}  // namespace
}  // namespace coldbench::load
