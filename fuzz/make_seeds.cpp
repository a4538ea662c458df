// Writes the seed corpora and dictionaries of the fuzz targets (run at build time):
//
//   dockerdiff_fuzz_seeds OUT_DIR DICT_DIR
//
// OUT_DIR/<target>/<seed> for every seed of every target, and OUT_DIR/<target>.dict: the committed
// dictionaries of DICT_DIR that fit the target (json.dict for all, tar.dict too for archives) plus
// the digests and paths of the archives the target edits.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "harness.hpp"

namespace {

namespace fs = std::filesystem;
namespace fz = dockerdiff::fuzz;

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A libFuzzer dictionary entry: "..." with quotes, backslashes and other bytes escaped as \xNN.
std::string dictionary_entry(const std::string& token) {
  static const char* const kHex = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : token) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out + "\"\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: dockerdiff_fuzz_seeds OUT_DIR DICT_DIR\n";
    return 2;
  }
  const fs::path out_dir = argv[1];
  const fs::path dict_dir = argv[2];
  try {
    for (const auto target : fz::kTargets) {
      const auto name = std::string(fz::target_name(target));
      const auto dir = out_dir / name;
      fs::remove_all(dir);
      fs::create_directories(dir);
      std::set<std::string> written;
      for (const auto& [seed, bytes] : fz::seeds(target)) {
        if (!written.insert(bytes).second) continue;  // the same bytes once
        write(dir / seed, bytes);
      }
      std::string dictionary = read(dict_dir / "json.dict");
      if (target == fz::Target::archive) dictionary += read(dict_dir / "tar.dict");
      dictionary += "\n# Generated: digests and paths of the fixture archives\n";
      for (const auto& token : fz::dictionary_tokens(target)) dictionary += dictionary_entry(token);
      write(out_dir / (name + ".dict"), dictionary);
      std::cout << name << ": " << written.size() << " seeds\n";
    }
  } catch (const std::exception& error) {
    std::cerr << "dockerdiff_fuzz_seeds: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
