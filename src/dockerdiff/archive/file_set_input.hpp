#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::archive {

// Files this run made (zstd patches in unnamed temporary files), as an input a plan copies from.
class FileSetInput final : public ArchiveInput {
 public:
  explicit FileSetInput(std::string name) : ArchiveInput(std::move(name)) {}

  std::string_view kind() const override { return "files"; }
  void copy_entry(std::size_t index, ByteSink& sink) override;

  // Adds the first `size` bytes of the regular file `data` as entry `path`; returns its index.
  std::size_t add(std::string path, UniqueFd data, std::uint64_t size);

 private:
  std::vector<UniqueFd> files_;
};

}  // namespace dockerdiff::archive
