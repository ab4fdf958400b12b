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

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  // A failure here is OpenSSL's or ours (no memory, a broken provider), never
  // the user's; an assert() would vanish with NDEBUG and leave a wrong hash.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != 32) {
    std::array<char, 256> reason{};
    ERR_error_string_n(ERR_get_error(), reason.data(), reason.size());
    throw std::runtime_error(
        fmt::format("sha256: OpenSSL's EVP_Digest failed: {}", reason.data()));
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned int i = 0; i < size; ++i) {
    out += k_hex[digest[i] >> 4];
    out += k_hex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace raylaunch
