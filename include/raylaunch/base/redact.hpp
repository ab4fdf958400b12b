#pragma once

#include <mutex>
#include <streambuf>
#include <string>

namespace raylaunch {

/// What every output prints instead of a secret value.
inline constexpr const char* k_masked = "******";

/// Whether an env name looks like it holds a secret: it contains PASSWORD,
/// TOKEN, SECRET or KEY, in any case.
bool is_secret_name(const std::string& name);

/// Remembers `value` as a secret: from now on redact() masks it. Values
/// shorter than 4 characters are not remembered (they would mask too much).
void remember_secret(const std::string& value);

/// `text` with every remembered secret replaced by "******". Thread-safe;
/// applied to whatever raylaunch prints that it did not compose itself
/// (Docker's messages, error texts), so a secret cannot leak through them.
std::string redact(std::string text);

/// A stream buffer that writes to `target` what it is given, redacted. Text
/// waits for a flush (std::cerr flushes after every output), or for a line
/// end once 64 KiB are waiting, so a secret is masked whole. Thread-safe.
class RedactingBuffer final : public std::streambuf {
 public:
  explicit RedactingBuffer(std::streambuf* target) : m_target(target) {}
  ~RedactingBuffer() override;
  RedactingBuffer(const RedactingBuffer&) = delete;
  RedactingBuffer& operator=(const RedactingBuffer&) = delete;

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* text, std::streamsize size) override;
  int sync() override;

 private:
  bool write_out(size_t length);

  std::streambuf* m_target;
  std::string m_pending;
  std::mutex m_mutex;
};

/// While it lives, everything written to std::cout and std::cerr passes
/// through a RedactingBuffer: the one place all of raylaunch's output goes
/// through, so a secret's value is masked wherever it turns up (a message
/// that quotes a value, a label, a ray_args value, Docker's or Ray's words).
class RedactedOutput {
 public:
  RedactedOutput();
  ~RedactedOutput();
  RedactedOutput(const RedactedOutput&) = delete;
  RedactedOutput& operator=(const RedactedOutput&) = delete;

 private:
  std::streambuf* m_cout;
  std::streambuf* m_cerr;
  RedactingBuffer m_out;
  RedactingBuffer m_err;
};

}  // namespace raylaunch
