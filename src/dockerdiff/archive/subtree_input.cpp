#include "dockerdiff/archive/subtree_input.hpp"

#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::archive {

SubtreeInput::SubtreeInput(std::unique_ptr<ArchiveInput> whole, std::string_view directory)
    : ArchiveInput(whole->name()), whole_(std::move(whole)) {
  const auto prefix = std::string(directory) + "/";
  const auto& entries = whole_->entries();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    if (!entry.path.starts_with(prefix) || entry.path.size() == prefix.size()) continue;
    auto inner = entry;
    inner.path.erase(0, prefix.size());
    // A hard link's target is an entry path; a symlink's is relative to its own directory, and so
    // stays where it points within the directory.
    if (entry.type == EntryType::hardlink) {
      if (!entry.link_target.starts_with(prefix)) {
        throw Error(name_, entry.path + " links to " + entry.link_target + ", outside " + std::string(directory) + "/");
      }
      inner.link_target.erase(0, prefix.size());
    } else if (entry.type == EntryType::symlink && !resolve_link_target(inner.path, inner.link_target)) {
      throw Error(name_, entry.path + " -> " + entry.link_target + " leads outside " + std::string(directory) + "/");
    }
    entries_.push_back(std::move(inner));
    whole_index_.push_back(i);
  }
  replaced_.resize(entries_.size());
  stored_bytes_ = whole_->stored_bytes();
  compression_ = whole_->compression();
}

void SubtreeInput::copy_entry(std::size_t index, ByteSink& sink) {
  if (replaced_.at(index).get() >= 0) {
    sink.copy_range(replaced_[index].get(), 0, entries_[index].size, name_ + ": " + entries_[index].path);
    return;
  }
  whole_->copy_entry(whole_index_.at(index), sink);
}

void SubtreeInput::replace_data(std::size_t index, UniqueFd data, std::uint64_t size, std::string digest) {
  auto& entry = entries_.at(index);
  entry.type = EntryType::regular;
  entry.size = size;
  entry.digest = std::move(digest);
  entry.data_offset = 0;
  entry.content.reset();
  entry.magic.clear();
  replaced_[index] = std::move(data);
}

}  // namespace dockerdiff::archive
