#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dockerdiff/commands/slim.hpp"
#include "support/examples.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"

namespace dockerdiff::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kExamples = fs::path(DOCKERDIFF_SOURCE_DIR) / "examples";

// The README's first command slims these files: they must be what the fixture writer makes
// (regenerate with the dockerdiff_make_examples target).
TEST(ExamplesTest, BundledArchivesAreReproducible) {
  EXPECT_EQ(read_file(kExamples / "base.tar.gz"), example_base_archive());
  EXPECT_EQ(read_file(kExamples / "app.tar.gz"), example_app_archive());
}

TEST(ExamplesTest, TheReadmeCommandDropsTheBaseLayers) {
  const TempDir dir("dockerdiff-examples");
  commands::SlimOptions options;
  options.targets = commands::parse_sources({(kExamples / "app.tar.gz").string()});
  options.bases = commands::parse_sources({(kExamples / "base.tar.gz").string()});
  options.output = (dir / "app.slim.tar").string();
  options.report_path = (dir / "report.json").string();
  options.quiet = true;
  ASSERT_EQ(commands::run_slim(options), 0);
  const auto report = nlohmann::json::parse(read_file(dir / "report.json"));
  std::vector<bool> dropped;
  for (const auto& layer : report["images"][0]["layers"]) dropped.push_back(layer["dropped"].get<bool>());
  EXPECT_EQ(dropped, (std::vector<bool>{true, true, false, false}));
  std::size_t checked = 0;
  EXPECT_TRUE(check_layers_read_back(read_file(dir / "app.slim.tar"), &checked).empty());
  EXPECT_EQ(checked, 2U);
  EXPECT_LT(fs::file_size(dir / "app.slim.tar"), fs::file_size(kExamples / "app.tar.gz"));
}

}  // namespace
}  // namespace dockerdiff::testing
