#pragma once

#include <string>
#include <string_view>

namespace raylaunch {

/// The SHA-256 of `data` as 64 lowercase hex digits (FIPS 180-4), computed by
/// OpenSSL. Used for the config hash that decides whether a container must be
/// re-created. Throws std::runtime_error only if OpenSSL fails, which is a bug.
std::string sha256_hex(std::string_view data);

/// The same digest over bytes given piece by piece (a file read in chunks),
/// so what is hashed need not be in memory at once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void add(std::string_view data);
  /// The digest as 64 lowercase hex digits; call once.
  std::string hex();

 private:
  void* m_context;  // OpenSSL's EVP_MD_CTX, kept out of this header
};

}  // namespace raylaunch
