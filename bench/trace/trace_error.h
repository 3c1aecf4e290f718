// A trace that cannot be converted or replayed. The message names the file,
// where in it (line, record, byte offset) and what was wrong there.
#pragma once

#include <stdexcept>

namespace dstudy::trace {

class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dstudy::trace
