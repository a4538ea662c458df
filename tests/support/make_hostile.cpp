// Rewrites the hostile corpus: make_hostile DIR (normally tests/hostile/). expected.txt is written
// by hand and left alone.
#include <filesystem>
#include <iostream>

#include "support/fixture.hpp"
#include "support/hostile.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_hostile DIR\n";
    return 2;
  }
  const std::filesystem::path directory = argv[1];
  std::filesystem::create_directories(directory);
  for (const auto& [name, bytes] : dockerdiff::testing::hostile_archives()) {
    dockerdiff::testing::write_file(directory / name, bytes);
  }
  return 0;
}
