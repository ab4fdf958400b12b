// Secrets are kept out of argv and plan output by construction; this is the
// net under everything else raylaunch prints: std::cout and std::cerr pass
// through it, so a value that turns up anywhere is masked.
#include <raylaunch/base/redact.hpp>

#include <cctype>
#include <iostream>
#include <set>

namespace raylaunch {

namespace {

std::mutex g_mutex;
std::set<std::string>& secrets() {
  static std::set<std::string> k_secrets;
  return k_secrets;
}

constexpr size_t k_hold_at_most = 64 * 1024;

}  // namespace

bool is_secret_name(const std::string& name) {
  std::string upper;
  for (char c : name) {
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (const char* word : {"PASSWORD", "TOKEN", "SECRET", "KEY"}) {
    if (upper.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void remember_secret(const std::string& value) {
  if (value.size() < 4) {
    return;
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  secrets().insert(value);
}

std::string redact(std::string text) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (const std::string& secret : secrets()) {
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), k_masked);
      at += std::string(k_masked).size();
    }
  }
  return text;
}

RedactingBuffer::~RedactingBuffer() { sync(); }

// Writes the first `length` waiting bytes, redacted; false when the target
// took less (a closed pipe, a full disk), which fails the stream.
bool RedactingBuffer::write_out(size_t length) {
  std::string text = redact(m_pending.substr(0, length));
  m_pending.erase(0, length);
  auto size = static_cast<std::streamsize>(text.size());
  return m_target->sputn(text.data(), size) == size;
}

RedactingBuffer::int_type RedactingBuffer::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) {
    return traits_type::not_eof(c);
  }
  char one = traits_type::to_char_type(c);
  return xsputn(&one, 1) == 1 ? c : traits_type::eof();
}

std::streamsize RedactingBuffer::xsputn(const char* text, std::streamsize size) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_pending.append(text, static_cast<size_t>(size));
  if (m_pending.size() > k_hold_at_most) {
    size_t line_end = m_pending.rfind('\n');
    if (line_end != std::string::npos && !write_out(line_end + 1)) {
      return 0;
    }
  }
  return size;
}

int RedactingBuffer::sync() {
  std::lock_guard<std::mutex> lock(m_mutex);
  bool written = m_pending.empty() || write_out(m_pending.size());
  return written && m_target->pubsync() == 0 ? 0 : -1;
}

RedactedOutput::RedactedOutput()
    : m_cout(std::cout.rdbuf()), m_cerr(std::cerr.rdbuf()), m_out(m_cout), m_err(m_cerr) {
  std::cout.rdbuf(&m_out);
  std::cerr.rdbuf(&m_err);
}

RedactedOutput::~RedactedOutput() {
  std::cout.flush();
  std::cerr.flush();
  std::cout.rdbuf(m_cout);
  std::cerr.rdbuf(m_cerr);
}

}  // namespace raylaunch
