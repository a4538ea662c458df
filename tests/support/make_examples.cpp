// Rewrites the bundled example archives: make_examples DIR (normally examples/).
#include <filesystem>
#include <iostream>

#include "support/examples.hpp"
#include "support/fixture.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_examples DIR\n";
    return 2;
  }
  const std::filesystem::path directory = argv[1];
  dockerdiff::testing::write_file(directory / "base.tar.gz", dockerdiff::testing::example_base_archive());
  dockerdiff::testing::write_file(directory / "app.tar.gz", dockerdiff::testing::example_app_archive());
  return 0;
}
