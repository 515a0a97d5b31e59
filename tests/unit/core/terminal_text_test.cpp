#include "core/terminal_text.hpp"

#include <gtest/gtest.h>

namespace coldbench {
namespace {

TEST(CoreTerminalText, EscapeSequencesFromAWorkloadAreShownNotObeyed) {
  // Retitle the window, clear the screen, move the cursor up: printed as text.
  EXPECT_EQ(terminal_safe("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
  EXPECT_EQ(terminal_safe("a\x1b[2Jb\x1b[1A"), "a\\x1b[2Jb\\x1b[1A");
  EXPECT_EQ(terminal_safe(std::string("nul\0here\r\x7f", 10)), "nul\\x00here\\x0d\\x7f");
}

TEST(CoreTerminalText, C1ControlsAreShownAsCodePoints) {
  // U+009B is CSI on terminals that take 8-bit controls.
  EXPECT_EQ(terminal_safe("x\xc2\x9b" "2Jy"), "x\\u009b2Jy");
  EXPECT_EQ(terminal_safe("\xc2\x85"), "\\u0085");
}

TEST(CoreTerminalText, PrintableTextNewlinesTabsAndOtherBytesPassUnchanged) {
  const std::string text = "wall 1.2 ms\n\tcafé \xc2\xa0 naïve \xef\xbf\xbd \xff\n";
  EXPECT_EQ(terminal_safe(text), text);
  EXPECT_EQ(terminal_safe(""), "");
  EXPECT_EQ(terminal_safe("\xc2"), "\xc2");  // a lone lead byte at the end is left as it is
}

}  // namespace
}  // namespace coldbench
