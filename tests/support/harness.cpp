#include "support/harness.hpp"

#include <stdlib.h>

#include <cerrno>
#include <system_error>

#include "dockerdiff/util/digest.hpp"
#include "support/fixture.hpp"

namespace dockerdiff::testing {

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string command_line(const std::vector<std::string>& args) {
  std::string out = "dockerdiff";
  for (const auto& arg : args) out += " " + arg;
  return out;
}

std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const auto relative = it->path().lexically_relative(root).generic_string();
    const auto status = it->symlink_status();
    if (fs::is_symlink(status)) {
      out[relative] = "symlink -> " + fs::read_symlink(it->path()).string();
    } else if (fs::is_directory(status)) {
      out[relative] = "directory";
    } else if (fs::is_regular_file(status)) {
      const auto content = read_file(it->path());
      out[relative] = "file " + std::to_string(content.size()) + " bytes " + sha256_digest(content);
    } else {
      out[relative] = "other";
    }
  }
  return out;
}

std::vector<std::string> temporary_files(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& [path, what] : snapshot(root)) {
    if (fs::path(path).filename().string().find(".tmp-") != std::string::npos) out.push_back(path);
  }
  return out;
}

}  // namespace dockerdiff::testing
