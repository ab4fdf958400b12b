#pragma once

// A full disk or a closed pipe on stdout is an error, not a silent success:
// every command's output is watched, flushed at the end and checked.

#include <memory>
#include <streambuf>

namespace raylaunch::cli {

/// While it lives, std::cout writes through it, and it keeps the errno of
/// the first write that failed, so the error can say why (a failed write
/// sets no state that survives until the end; errno is overwritten).
class StdoutCheck {
 public:
  StdoutCheck();
  ~StdoutCheck();
  StdoutCheck(const StdoutCheck&) = delete;
  StdoutCheck& operator=(const StdoutCheck&) = delete;

  /// Flushes stdout; returns `code`, or, when any write failed, 1 (or
  /// `code` if that is an error already) after saying so on stderr.
  int checked(int code);

 private:
  class Buffer;
  std::unique_ptr<Buffer> m_buffer;
  std::streambuf* m_previous;
};

}  // namespace raylaunch::cli
