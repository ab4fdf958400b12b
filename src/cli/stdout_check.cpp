// Output the user asked for must arrive whole (see stdout_check.hpp).
#include "stdout_check.hpp"

#include <fmt/format.h>

#include "commands.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace raylaunch::cli {

// Passes every write on to std::cout's own buffer, and notes why the first failed.
class StdoutCheck::Buffer : public std::streambuf {
 public:
  explicit Buffer(std::streambuf* inner) : m_inner(inner) {}
  int failed_errno() const { return m_errno; }
  bool failed() const { return m_failed; }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) {
      return traits_type::not_eof(c);
    }
    return note(m_inner->sputc(traits_type::to_char_type(c)) == traits_type::eof())
               ? traits_type::eof()
               : c;
  }
  std::streamsize xsputn(const char* text, std::streamsize count) override {
    std::streamsize written = m_inner->sputn(text, count);
    note(written != count);
    return written;
  }
  int sync() override { return note(m_inner->pubsync() != 0) ? -1 : 0; }

 private:
  bool note(bool failure) {
    if (failure && !m_failed) {
      m_failed = true;
      m_errno = errno;
    }
    return failure;
  }

  std::streambuf* m_inner;
  bool m_failed = false;
  int m_errno = 0;
};

StdoutCheck::StdoutCheck()
    : m_buffer(std::make_unique<Buffer>(std::cout.rdbuf())),
      m_previous(std::cout.rdbuf(m_buffer.get())) {}

StdoutCheck::~StdoutCheck() { std::cout.rdbuf(m_previous); }

int StdoutCheck::checked(int code) {
  std::cout.flush();
  errno = 0;
  bool flushed = std::fflush(stdout) == 0;
  int error = m_buffer->failed() ? m_buffer->failed_errno() : errno;
  if (flushed && !m_buffer->failed() && std::ferror(stdout) == 0) {
    return code;
  }
  print_diagnostic({Severity::error,
                    fmt::format("cannot write the output: {}",
                                error != 0 ? std::strerror(error) : "a write to stdout failed"),
                    "stdout goes to a full disk or a closed pipe; send it elsewhere",
                    {}});
  return code == 0 ? 1 : code;
}

}  // namespace raylaunch::cli
