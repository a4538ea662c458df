#include "dockerdiff/archive/file_set_input.hpp"

namespace dockerdiff::archive {

void FileSetInput::copy_entry(std::size_t index, ByteSink& sink) {
  sink.copy_range(files_.at(index).get(), 0, entries_[index].size, name_ + ": " + entries_[index].path);
}

std::size_t FileSetInput::add(std::string path, UniqueFd data, std::uint64_t size) {
  TarEntry entry;
  entry.path = std::move(path);
  entry.size = size;
  entry.data_offset = 0;
  entries_.push_back(std::move(entry));
  files_.push_back(std::move(data));
  stored_bytes_ += size;
  return entries_.size() - 1;
}

}  // namespace dockerdiff::archive
