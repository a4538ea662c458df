#include <gtest/gtest.h>

#include "dockerdiff/archive/path.hpp"

namespace dockerdiff::archive {
namespace {

TEST(PathTest, NormalizesRelativePaths) {
  EXPECT_EQ(normalize_path("./manifest.json"), "manifest.json");
  EXPECT_EQ(normalize_path("a//b/./c/"), "a/b/c");
  EXPECT_EQ(normalize_path("a/b/../c"), "a/c");
}

TEST(PathTest, RejectsAbsoluteAndEscapingPaths) {
  EXPECT_FALSE(normalize_path("/etc/passwd"));
  EXPECT_FALSE(normalize_path("../x"));
  EXPECT_FALSE(normalize_path("a/../../x"));
  EXPECT_FALSE(normalize_path(""));
  EXPECT_FALSE(normalize_path("."));
}

TEST(PathTest, ResolvesLinkTargetsRelativeToTheLink) {
  EXPECT_EQ(resolve_link_target("b/layer.tar", "../a/layer.tar"), "a/layer.tar");
  EXPECT_EQ(resolve_link_target("layer.tar", "other.tar"), "other.tar");
  EXPECT_FALSE(resolve_link_target("b/layer.tar", "../../etc/passwd"));
  EXPECT_FALSE(resolve_link_target("b/layer.tar", "/etc/passwd"));
}

TEST(PathTest, RelativeLinkRoundTrips) {
  EXPECT_EQ(relative_link("b/layer.tar", "a/layer.tar"), "../a/layer.tar");
  EXPECT_EQ(relative_link("x/y/z", "a"), "../../a");
  EXPECT_EQ(relative_link("top", "a/b"), "a/b");
  const auto link = relative_link("d/e/f.tar", "g/h.tar");
  EXPECT_EQ(resolve_link_target("d/e/f.tar", link), "g/h.tar");
}

}  // namespace
}  // namespace dockerdiff::archive
