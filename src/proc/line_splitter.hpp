#pragma once
// Splits a byte stream (a child's stdout, stderr or marker pipe) into lines.

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace coldbench::proc {

// A line longer than `max` is delivered in pieces of `max`, so one endless
// line can neither exhaust memory nor hold back the lines after it.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max) : max_(max) {}

  template <class OnLine>
  void feed(const char* data, std::size_t size, OnLine&& on_line) {
    while (size > 0) {
      const auto* newline = static_cast<const char*>(std::memchr(data, '\n', size));
      const std::size_t length = newline ? static_cast<std::size_t>(newline - data) : size;
      const std::size_t room = max_ - partial_.size();  // partial_ is always shorter than max_
      if (length >= room) {  // the piece that reaches `max` goes out without waiting for its newline
        partial_.append(data, room);
        data += room;
        size -= room;
        on_line(std::string_view(partial_));
        partial_.clear();
        split_ = true;
        continue;
      }
      partial_.append(data, length);
      if (length > 0) split_ = false;
      if (!newline) return;
      // The newline that ends a line of exactly `max` was delivered with its last piece.
      if (!split_) on_line(std::string_view(partial_));
      partial_.clear();
      split_ = false;
      data += length + 1;
      size -= length + 1;
    }
  }

  template <class OnLine>
  void flush(OnLine&& on_line) {
    if (!partial_.empty()) on_line(std::string_view(partial_));
    partial_.clear();
  }

 private:
  std::string partial_;
  std::size_t max_;
  bool split_ = false;  // the last byte completed a piece of `max`
};

}  // namespace coldbench::proc
