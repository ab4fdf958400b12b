// The config hash must be the same on every run and machine. SHA-256 is fixed
// by FIPS 180-4, so any correct implementation gives the same bytes; this one
// is OpenSSL's rather than a hand-written copy of our own to review and test.
#include <raylaunch/base/sha256.hpp>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace raylaunch {

namespace {

// A failure here is OpenSSL's or ours (no memory, a broken provider), never
// the user's; an assert() would vanish with NDEBUG and leave a wrong hash.
[[noreturn]] void openssl_failed(const char* what) {
  std::array<char, 256> reason{};
  ERR_error_string_n(ERR_get_error(), reason.data(), reason.size());
  throw std::runtime_error(fmt::format("sha256: OpenSSL's {} failed: {}", what, reason.data()));
}

std::string hex_of(const unsigned char* digest, unsigned int size) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned int i = 0; i < size; ++i) {
    out += k_hex[digest[i] >> 4];
    out += k_hex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != 32) {
    openssl_failed("EVP_Digest");
  }
  return hex_of(digest.data(), size);
}

Sha256::Sha256() : m_context(EVP_MD_CTX_new()) {
  if (m_context == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(m_context), EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(m_context));
    openssl_failed("EVP_DigestInit_ex");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(m_context)); }

void Sha256::add(std::string_view data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(m_context), data.data(), data.size()) != 1) {
    openssl_failed("EVP_DigestUpdate");
  }
}

std::string Sha256::hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(m_context), digest.data(), &size) != 1 ||
      size != 32) {
    openssl_failed("EVP_DigestFinal_ex");
  }
  return hex_of(digest.data(), size);
}

}  // namespace raylaunch
