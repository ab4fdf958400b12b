#include <gtest/gtest.h>

#include <raylaunch/base/sha256.hpp>

#include <string>
#include <string_view>

namespace raylaunch {
namespace {

// FIPS 180-4 test vectors, plus lengths around the 56-byte padding boundary.
TEST(Sha256, MatchesKnownDigests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Given views that are not C strings, we expect exactly their bytes hashed:
// none (with no buffer), a NUL inside, a slice of a longer string, bytes >= 0x80.
TEST(Sha256, HashesExactlyTheBytesOfTheView) {
  EXPECT_EQ(sha256_hex(std::string_view()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(std::string_view("a\0b", 3)),
            "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
  EXPECT_EQ(sha256_hex(std::string_view("abcdef").substr(0, 3)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("\xff\x80"),
            "85c61621ebd04403f66d96fe300cf10b3844de7358184f1276cb08790fd135f1");
}

}  // namespace
}  // namespace raylaunch
