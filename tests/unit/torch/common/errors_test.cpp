#include "torch/common/errors.hpp"

#include <gtest/gtest.h>

namespace coldbench::workload {
namespace {

TEST(ShortTorchMessage, DropsTheCppBacktrace) {
  std::string what =
      "PytorchStreamReader failed reading zip archive: failed finding central directory\n"
      "Exception raised from valid at ../caffe2/serialize/inline_container.cc:184 (most recent "
      "call first):\nframe #0: c10::Error::Error(...) + 0x8d\nframe #1: ...\n";
  EXPECT_EQ(short_torch_message(what),
            "PytorchStreamReader failed reading zip archive: failed finding central directory");
}

TEST(ShortTorchMessage, KeepsTheInterpretersOwnError) {
  std::string what =
      "The following operation failed in the TorchScript interpreter.\n"
      "Traceback of TorchScript, serialized code (most recent call last):\n"
      "  File \"code/__torch__/models.py\", line 12, in forward\n"
      "    input = torch._convolution(x, weight)\n"
      "Traceback of TorchScript, original code (most recent call last):\n"
      "  File \"models.py\", line 40, in forward\n"
      "RuntimeError: Given groups=1, weight of size [8, 3, 3, 3], expected input[1, 2, 32, 32] to "
      "have 3 channels, but got 2 channels instead\n";
  EXPECT_EQ(short_torch_message(what),
            "RuntimeError: Given groups=1, weight of size [8, 3, 3, 3], expected input[1, 2, 32, "
            "32] to have 3 channels, but got 2 channels instead");
}

TEST(ShortTorchMessage, JoinsPlainLinesAndCapsLength) {
  EXPECT_EQ(short_torch_message("  first line \n\nsecond line\n"), "first line second line");
  std::string long_text(5000, 'x');
  std::string short_text = short_torch_message(long_text);
  EXPECT_LT(short_text.size(), 700u);
  EXPECT_EQ(short_text.substr(short_text.size() - 3), "...");
}

}  // namespace
}  // namespace coldbench::workload
