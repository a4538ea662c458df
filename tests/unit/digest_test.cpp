#include <gtest/gtest.h>

#include "dockerdiff/util/digest.hpp"

namespace dockerdiff::image {
namespace {

TEST(DigestTest, Sha256OfKnownInputs) {
  EXPECT_EQ(sha256_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_digest("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, StreamingEqualsOneShot) {
  Sha256 hash;
  hash.update("a");
  hash.update("bc");
  EXPECT_EQ(hash.digest(), sha256_digest("abc"));
}

TEST(DigestTest, ValidatesDigests) {
  EXPECT_TRUE(is_sha256_digest(sha256_digest("x")));
  EXPECT_FALSE(is_sha256_digest("sha256:ABC"));
  EXPECT_FALSE(is_sha256_digest("sha512:" + std::string(64, 'a')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(63, 'a') + "g"));
  EXPECT_EQ(digest_hex("sha256:abc"), "abc");
}

// ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
TEST(DigestTest, ChainIdsFollowTheOciDefinition) {
  const auto a = sha256_digest("layer a");
  const auto b = sha256_digest("layer b");
  const auto c = sha256_digest("layer c");
  const auto chains = chain_ids({a, b, c});
  ASSERT_EQ(chains.size(), 3U);
  EXPECT_EQ(chains[0], a);
  EXPECT_EQ(chains[1], sha256_digest(a + " " + b));
  EXPECT_EQ(chains[2], sha256_digest(chains[1] + " " + c));
  // The same layer on another base is another chain.
  EXPECT_NE(chain_ids({b, c})[1], chains[2]);
  EXPECT_TRUE(chain_ids({}).empty());
}

}  // namespace
}  // namespace dockerdiff::image
