// Secrets are kept out of argv and plan output by construction; this is the
// net under everything else raylaunch prints (messages Docker or Ray wrote).
#include <raylaunch/base/redact.hpp>

#include <mutex>
#include <set>

namespace raylaunch {

namespace {

std::mutex g_mutex;
std::set<std::string>& secrets() {
  static std::set<std::string> k_secrets;
  return k_secrets;
}

}  // namespace

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

}  // namespace raylaunch
