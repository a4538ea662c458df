#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/archive/tar_entry.hpp"

namespace dockerdiff::archive {

// Whether the first bytes of a file look like a JSON document ('{' or '[' after white space). Such
// files are kept in memory when they are small (limits::kMaxJsonDocumentBytes); nothing larger is
// ever buffered.
bool looks_like_json(std::string_view magic);

// An input archive: its catalog (every entry, read once up front without keeping data) and a way
// to stream any entry's data into a sink afterwards.
class ArchiveInput {
 public:
  virtual ~ArchiveInput() = default;

  // How the input is named in messages and reports (the path or reference the user gave).
  const std::string& name() const { return name_; }
  const std::vector<TarEntry>& entries() const { return entries_; }
  // Bytes of the input as stored (compressed size for a compressed archive).
  std::uint64_t stored_bytes() const { return stored_bytes_; }
  Compression compression() const { return compression_; }
  // "tar" or "directory".
  virtual std::string_view kind() const = 0;

  // Streams entry `index`'s data (a regular file) into `sink`.
  virtual void copy_entry(std::size_t index, ByteSink& sink) = 0;
  // The digests of the entries whose data was not kept (KeepData said no; copying one is an Error).
  virtual std::vector<std::string> unkept_digests() const { return {}; }

 protected:
  explicit ArchiveInput(std::string name) : name_(std::move(name)) {}

  std::string name_;
  std::vector<TarEntry> entries_;
  std::uint64_t stored_bytes_ = 0;
  Compression compression_ = Compression::none;
};

// Which data of a streamed archive's entries the write pass may need; data not needed is not kept on
// disk, and copying such an entry is an Error. Empty: everything is kept.
struct KeepData {
  // Whether the data of an entry with this sha256 digest ("sha256:<hex>") may be needed: asked
  // before the data where the name gives the digest (an OCI blob), after it otherwise.
  std::function<bool(std::string_view digest)> digest;
  // Asked before the data of an entry whose name gives no digest (a legacy <v1id>/layer.tar):
  // whether it may go unkept on a guess from its size alone, to spare spooling a large layer that
  // is likely dropped. `digest` still decides once it is hashed; one needed after all is then
  // listed by unkept_digests(), for the caller to read the input again. Empty: no guessing.
  std::function<bool(std::uint64_t size)> may_skip_by_size;

  explicit operator bool() const { return static_cast<bool>(digest); }
};

// Opens a tar archive, plain or gzip/zstd/xz/bzip2 compressed (detected from content), from a file
// or a pipe; the file descriptor is taken over. A plain tar file is read in place (the catalog seeks
// past data); anything else is read once, front to back, decompressed on a thread of its own, every
// entry hashed, and the data spooled into an unnamed temporary file (only what `keep` allows).
// The catalog refuses what no image archive holds and what would make the tool reach outside the
// archive: absolute or '..' entry names, links whose target leaves the archive, sparse entries,
// and anything over the limits of limits.hpp (entries, name lengths, JSON documents, decompression).
std::unique_ptr<ArchiveInput> open_tar_archive(int fd, std::string name, KeepData keep = {});
// A regular file (a FIFO or anything else is refused).
std::unique_ptr<ArchiveInput> open_tar_archive(const std::filesystem::path& path, std::string name, KeepData keep = {});

// Opens an OCI image layout directory (index.json, oci-layout, blobs/). Files are opened beneath the
// directory one path component at a time without following symlinks, so that nothing outside it is
// read even if the tree changes after the catalog was taken.
std::unique_ptr<ArchiveInput> open_layout_directory(const std::filesystem::path& path, std::string name);

}  // namespace dockerdiff::archive
