#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::archive {

// The entries of another input below one of its directories, named without that directory: the
// slim archive a delta archive carries (delta_record.hpp). The data of an entry can be replaced by a
// file, as a layer rebuilt from its patch is. The whole input stays reachable for the entries
// outside the directory.
class SubtreeInput final : public ArchiveInput {
 public:
  // `directory` without a trailing '/'. An Error when a link below it leads out of it.
  SubtreeInput(std::unique_ptr<ArchiveInput> whole, std::string_view directory);

  std::string_view kind() const override { return whole_->kind(); }
  void copy_entry(std::size_t index, ByteSink& sink) override;
  std::vector<std::string> unkept_digests() const override { return whole_->unkept_digests(); }

  ArchiveInput& whole() { return *whole_; }
  // From now on entry `index` (a regular file) holds the `size` bytes of the regular file `data`,
  // whose sha256 is `digest`.
  void replace_data(std::size_t index, UniqueFd data, std::uint64_t size, std::string digest);

 private:
  std::unique_ptr<ArchiveInput> whole_;
  std::vector<std::size_t> whole_index_;  // per entry: its index in the whole input
  std::vector<UniqueFd> replaced_;        // per entry: its data's file, where replaced
};

}  // namespace dockerdiff::archive
