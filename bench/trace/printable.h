// Trace bytes quoted in a message: a trace's keys and fields are any bytes
// (binary data read as text, control characters, escape sequences), and a
// message echoes them to a terminal or a log. Bytes outside printable ASCII
// become \xNN, a backslash becomes \\, and a long field is cut short.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dstudy::trace {

inline std::string printable(std::string_view bytes, std::size_t max_bytes = 64) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = bytes.size() < max_bytes ? bytes.size() : max_bytes;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (n < bytes.size()) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

}  // namespace dstudy::trace
