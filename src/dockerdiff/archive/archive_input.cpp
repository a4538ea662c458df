#include "dockerdiff/archive/archive_input.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <set>
#include <utility>

#include "dockerdiff/archive/decoded_stream.hpp"
#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/limits.hpp"
#include "dockerdiff/util/libarchive.hpp"
#include "dockerdiff/util/posix.hpp"
#include "dockerdiff/util/progress.hpp"

namespace dockerdiff::archive {

namespace {

constexpr std::size_t kMagicBytes = 8;
using limits::kMaxJsonDocumentBytes;
using limits::kMaxJsonDocumentsBytes;

// The catalog's own limits: entries, and the length of names and link targets.
void check_entry_count(std::size_t count, const std::string& name) {
  if (count > limits::kMaxEntries) {
    throw Error(name, "more than " + std::to_string(limits::kMaxEntries) + " entries, over the limit for one archive");
  }
}

// One name or link target, and (`total`) all of them so far.
void check_name_length(std::string_view text, const std::string& name, const char* what, std::uint64_t& total) {
  if (text.size() > limits::kMaxPathBytes) {
    throw Error(name, std::string(what) + " of " + std::to_string(text.size()) + " bytes ('" + std::string(text.substr(0, 40)) +
                "...'), over the limit of " + std::to_string(limits::kMaxPathBytes));
  }
  total += text.size();
  if (total > limits::kMaxNamesBytes) {
    throw Error(name, "more than " + std::to_string(limits::kMaxNamesBytes >> 20) +
                " MiB of entry names and link targets, over the limit for one archive");
  }
}

// A symlink may point anywhere inside the archive, never out of it: docker save and OCI layouts
// only ever link one layer file to another.
void check_symlink(const TarEntry& entry, const std::string& name) {
  if (entry.link_target.empty()) throw Error(name, "symlink '" + entry.path + "' has an empty target");
  if (!resolve_link_target(entry.path, entry.link_target)) {
    throw Error(name, "symlink '" + entry.path + "' -> '" + entry.link_target + "' leaves the archive");
  }
}

// The digest an OCI layout path names (blobs/sha256/<hex>), before its data is read.
std::optional<std::string> digest_named_by(const std::string& path) {
  constexpr std::string_view kPrefix = "blobs/sha256/";
  if (!path.starts_with(kPrefix) || path.size() != kPrefix.size() + 64) return std::nullopt;
  return "sha256:" + path.substr(kPrefix.size());
}

void pwrite_all(int fd, const char* data, std::size_t size, std::uint64_t offset, const std::string& what) {
  while (size > 0) {
    const auto n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(what, "cannot write the temporary copy: " + errno_text());
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

// One sequential libarchive read of a plain tar: a regular file from its start (seeking past data),
// or the plain bytes of a DecodedStream.
class TarStream {
 public:
  TarStream(int fd, const std::string& name) : name_(name) {
    if (::lseek(fd, 0, SEEK_SET) < 0) throw Error(name_, "cannot seek: " + errno_text());
    create();
    // Small blocks: after each seek past a layer only a header is needed.
    if (archive_read_open_fd(archive_.get(), fd, 64 << 10) != ARCHIVE_OK) fail("cannot open");
  }
  TarStream(DecodedStream& source, const std::string& name) : name_(name), source_(&source) {
    create();
    if (archive_read_open(archive_.get(), this, nullptr, &TarStream::read_source, nullptr) != ARCHIVE_OK) fail("cannot open");
  }
  TarStream(const TarStream&) = delete;
  TarStream& operator=(const TarStream&) = delete;

  // The next header, or nullptr at the end of the archive.
  archive_entry* next() {
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(archive_.get(), &entry);
    if (status == ARCHIVE_EOF) return nullptr;
    // ARCHIVE_RETRY (a damaged header) is as fatal as ARCHIVE_FATAL here.
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) fail("not a readable tar archive");
    return entry;
  }

  // Calls `on_block` for each block of the current entry's data until it returns false.
  template <typename OnBlock>
  void read_data(OnBlock&& on_block) {
    if (read_data_blocks(archive_.get(), std::forward<OnBlock>(on_block)) == DataRead::failed) fail("corrupt or truncated data");
  }

  // Offset of the current entry's data in the plain stream.
  std::uint64_t position() const { return static_cast<std::uint64_t>(archive_filter_bytes(archive_.get(), 0)); }

  // The source's own error (unreadable, corrupt compressed data) where it stopped libarchive.
  [[noreturn]] void fail(const std::string& what) const {
    if (source_error_) std::rethrow_exception(source_error_);
    const char* text = archive_error_string(archive_.get());
    throw Error(name_, what + (text != nullptr ? std::string(": ") + text : std::string()));
  }

 private:
  void create() {
    archive_.reset(archive_read_new());
    if (archive_ == nullptr) throw Error(name_, "cannot create a libarchive reader");
    archive_read_support_format_tar(archive_.get());
  }

  static la_ssize_t read_source(struct archive* reader, void* self, const void** block) {
    auto& stream = *static_cast<TarStream*>(self);
    try {
      const auto chunk = stream.source_->next();
      // Input bytes, as the phase's total counts them (a compressed file's size).
      const auto read = stream.source_->bytes_read();
      progress::advance(read - stream.reported_);
      stream.reported_ = read;
      *block = chunk.data();
      return static_cast<la_ssize_t>(chunk.size());
    } catch (...) {
      stream.source_error_ = std::current_exception();
      archive_set_error(reader, EIO, "read failed");
      return -1;
    }
  }

  ArchiveReader archive_;
  std::string name_;
  DecodedStream* source_ = nullptr;
  std::uint64_t reported_ = 0;  // of source_->bytes_read(), to progress
  std::exception_ptr source_error_;
};

class TarArchiveInput final : public ArchiveInput {
 public:
  // A plain tar in a regular file: the catalog reads headers and small documents, seeking past the
  // rest; entries are copied from the file itself.
  TarArchiveInput(UniqueFd fd, std::string name, std::uint64_t size) : ArchiveInput(std::move(name)), data_fd_(std::move(fd)) {
    stored_bytes_ = size;
    TarStream stream(data_fd_.get(), name_);
    scan(stream, nullptr);
  }

  // Anything else (compressed, or a pipe): read once, each entry hashed and its data spooled into an
  // unnamed temporary file at its offset in the plain stream (holes elsewhere) unless `keep` says the
  // write pass cannot need it; entries are copied from there.
  TarArchiveInput(UniqueFd fd, std::string name, std::optional<std::uint64_t> size, KeepData keep)
      : ArchiveInput(std::move(name)), keep_(std::move(keep)) {
    data_fd_ = unnamed_temp_file(name_);
    const progress::Phase phase("reading " + name_, size.value_or(0));
    DecodedStream source(fd.get(), name_, size);
    try {
      TarStream stream(source, name_);
      scan(stream, &source);
    } catch (const Error&) {
      // libarchive calls an empty stream an unrecognized format; say what it is
      if (source.bytes_read() == 0) throw Error(name_, "empty input, not an image archive");
      throw;
    }
    stored_bytes_ = size ? *size : source.bytes_read();
  }

  std::string_view kind() const override { return "tar"; }
  std::vector<std::string> unkept_digests() const override { return unkept_; }

  void copy_entry(std::size_t index, ByteSink& sink) override {
    const auto& entry = entries_.at(index);
    if (!kept_.at(index)) {
      throw Error(name_ + ": " + entry.path, "data not kept while reading (the image changed while it was saved?)");
    }
    sink.copy_range(data_fd_.get(), offsets_[index], entry.size, name_ + ": " + entry.path);
  }

 private:
  // `source`: the stream being read once (every entry's data is read), or nullptr for a plain file.
  void scan(TarStream& stream, DecodedStream* source) {
    std::set<std::string> seen;
    std::uint64_t name_bytes = 0;
    std::uint64_t document_bytes = 0;
    for (std::size_t ordinal = 0;; ++ordinal) {
      archive_entry* header = stream.next();
      if (header == nullptr) break;
      if (ordinal == 0 && source != nullptr) compression_ = source->compression();
      check_entry_count(ordinal + 1, name_);
      const char* raw = archive_entry_pathname(header);
      const std::string raw_path = raw != nullptr ? raw : "";
      check_name_length(raw_path, name_, "entry name", name_bytes);
      const auto path = normalize_path(raw_path);
      if (!path) {
        if (raw_path == "." || raw_path == "./") continue;  // the archive's root directory
        throw Error(name_, "entry '" + raw_path + "' has an absolute or '..' path");
      }
      TarEntry entry;
      entry.path = *path;
      entry.mode = static_cast<std::uint32_t>(archive_entry_perm(header));
      entry.mtime = archive_entry_mtime(header);
      if (const char* hardlink = archive_entry_hardlink(header)) {
        check_name_length(hardlink, name_, "hard link target", name_bytes);
        const auto target = normalize_path(hardlink);
        if (!target) throw Error(name_, "hard link '" + entry.path + "' leaves the archive");
        entry.type = EntryType::hardlink;
        entry.link_target = *target;
      } else {
        switch (archive_entry_filetype(header)) {
          case AE_IFREG: entry.type = EntryType::regular; break;
          case AE_IFDIR: entry.type = EntryType::directory; break;
          case AE_IFLNK:
            entry.type = EntryType::symlink;
            entry.link_target = archive_entry_symlink(header) != nullptr ? archive_entry_symlink(header) : "";
            check_name_length(entry.link_target, name_, "symlink target", name_bytes);
            check_symlink(entry, name_);
            break;
          default: entry.type = EntryType::other; break;
        }
      }
      // Sparse data is not where the header's size says: no image archive holds such an entry.
      if (archive_entry_sparse_count(header) > 0) {
        throw Error(name_, "entry '" + entry.path + "' is a sparse file, which no image archive holds");
      }
      if (entry.type != EntryType::directory && !seen.insert(entry.path).second) {
        throw Error(name_, "entry '" + entry.path + "' appears twice");
      }
      bool kept = false;
      const auto offset = stream.position();
      if (entry.type == EntryType::regular) {
        entry.size = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(header)));
        // An offset in the input itself only where the input is a plain tar (stdin's spool mirrors it).
        if (compression_ == Compression::none) entry.data_offset = offset;
        kept = true;
        if (entry.size > 0) {
          if (source != nullptr) {
            kept = read_whole(stream, entry, offset, document_bytes);
          } else {
            read_head(stream, entry, document_bytes);
          }
        }
      }
      entries_.push_back(std::move(entry));
      offsets_.push_back(offset);
      kept_.push_back(kept);
    }
    if (source != nullptr) return;
    // Seeking past data does not notice a file cut short inside the last entries.
    for (const auto& entry : entries_) {
      if (entry.data_offset && *entry.data_offset + entry.size > stored_bytes_) {
        throw Error(name_ + ": " + entry.path, "unexpected end of file (truncated archive)");
      }
    }
  }

  // Sniffs the first bytes and keeps the whole of small JSON documents, reading no further.
  void read_head(TarStream& stream, TarEntry& entry, std::uint64_t& document_bytes) const {
    Head head(name_, entry, document_bytes);
    stream.read_data([&](std::string_view block) { return head.add(block); });
    head.finish();
  }

  // Reads all of an entry's data once: sniffed as read_head does, hashed (neither gzip as libarchive
  // reads it nor zstd frames without checksums would otherwise notice corrupt data) and spooled
  // unless not needed. Returns whether the data is in the spool.
  bool read_whole(TarStream& stream, TarEntry& entry, std::uint64_t offset, std::uint64_t& document_bytes) {
    Head head(name_, entry, document_bytes);
    const auto named = digest_named_by(entry.path);
    // Refused by its name: neither kept nor hashed (its digest is only ever compared with its name).
    const bool refused = keep_ && named && !keep_.digest(*named);
    // Guessed from its size: hashed but not spooled until the digest says it is needed.
    const bool guessed = keep_ && !named && keep_.may_skip_by_size && keep_.may_skip_by_size(entry.size);
    bool keep = !refused && !guessed;
    Sha256 hash;
    std::uint64_t seen = 0;
    stream.read_data([&](std::string_view block) {
      if (!refused) hash.update(block);
      head.add(block);
      if (keep) pwrite_all(data_fd_.get(), block.data(), block.size(), offset + seen, name_ + ": " + entry.path);
      seen += block.size();
      return true;
    });
    if (seen != entry.size) throw Error(name_ + ": " + entry.path, "unexpected end of data (truncated archive)");
    head.finish();
    if (refused) {
      unkept_.push_back(*named);
      return false;
    }
    entry.digest = hash.digest();
    if (guessed) {
      unkept_.push_back(*entry.digest);  // needed or not: the caller compares
    } else if (keep_ && !keep_.digest(*entry.digest)) {
      keep = false;
      unkept_.push_back(*entry.digest);
      // Give the space back at once (holes where the file system has them).
      ::fallocate(data_fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(entry.size));
    }
    return keep;
  }

  // The first bytes of an entry, and the whole of a small JSON document.
  class Head {
   public:
    Head(const std::string& name, TarEntry& entry, std::uint64_t& document_bytes)
        : name_(name), entry_(entry), document_bytes_(document_bytes) {}

    // False once nothing more is wanted.
    bool add(std::string_view block) {
      if (entry_.magic.empty()) {
        entry_.magic = std::string(block.substr(0, kMagicBytes));
        keep_ = entry_.size <= kMaxJsonDocumentBytes && looks_like_json(entry_.magic);
        if (!keep_) return false;
        document_bytes_ += entry_.size;
        if (document_bytes_ > kMaxJsonDocumentsBytes) {
          throw Error(name_, "more than " + std::to_string(kMaxJsonDocumentsBytes >> 20) + " MiB of JSON documents, not an image archive");
        }
        content_.reserve(static_cast<std::size_t>(entry_.size));
      }
      if (keep_) content_.append(block);
      return keep_;
    }

    void finish() {
      if (!keep_) return;
      if (content_.size() != entry_.size) throw Error(name_ + ": " + entry_.path, "unexpected end of data");
      entry_.content = std::move(content_);
    }

   private:
    const std::string& name_;
    TarEntry& entry_;
    std::uint64_t& document_bytes_;
    bool keep_ = false;
    std::string content_;
  };

  UniqueFd data_fd_;  // the plain tar file, or the spool
  KeepData keep_;
  std::vector<std::uint64_t> offsets_;  // of each entry's data in the plain stream
  std::vector<bool> kept_;              // whether data_fd_ holds it
  std::vector<std::string> unkept_;     // digests of the entries it does not hold
};

class DirectoryInput final : public ArchiveInput {
 public:
  DirectoryInput(const std::filesystem::path& root, std::string name) : ArchiveInput(std::move(name)) {
    namespace fs = std::filesystem;
    // The root as the user named it (a symlink to a layout is fine); below it, nothing is followed.
    root_fd_ = UniqueFd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root_fd_.get() < 0) throw Error(name_, errno_text());
    std::error_code error;
    fs::recursive_directory_iterator it(root, error), end;
    if (error) throw Error(name_, error.message());
    std::uint64_t document_bytes = 0;
    std::uint64_t name_bytes = 0;
    for (; it != end; it.increment(error)) {
      if (error) throw Error(name_, error.message());
      check_entry_count(entries_.size() + 1, name_);
      const auto relative = it->path().lexically_relative(root).generic_string();
      check_name_length(relative, name_, "path", name_bytes);
      const auto status = it->symlink_status();
      TarEntry entry;
      entry.path = relative;
      entry.mode = static_cast<std::uint32_t>(status.permissions()) & 07777;
      if (fs::is_directory(status)) {
        entry.type = EntryType::directory;
      } else if (fs::is_symlink(status)) {
        entry.type = EntryType::symlink;
        entry.link_target = fs::read_symlink(it->path(), error).string();
        if (error) throw Error(name_ + ": " + relative, error.message());
        check_name_length(entry.link_target, name_, "symlink target", name_bytes);
        check_symlink(entry, name_);
      } else if (fs::is_regular_file(status)) {
        entry.type = EntryType::regular;
        entry.size = it->file_size();
        entry.data_offset = 0;
        stored_bytes_ += entry.size;
        read_head(entry, document_bytes);
      } else {
        throw Error(name_ + ": " + relative, "not a regular file, directory or symlink");
      }
      entries_.push_back(std::move(entry));
    }
    std::sort(entries_.begin(), entries_.end(), [](const TarEntry& a, const TarEntry& b) { return a.path < b.path; });
  }

  std::string_view kind() const override { return "directory"; }

  void copy_entry(std::size_t index, ByteSink& sink) override {
    const auto& entry = entries_.at(index);
    UniqueFd fd(open_entry(entry));
    sink.copy_range(fd.get(), 0, entry.size, name_ + ": " + entry.path);
  }

 private:
  // Opens a regular file below the root one component at a time, following no symlink (O_NOFOLLOW
  // on each directory and on the file): a directory swapped for a symlink after the catalog was
  // taken cannot lead outside. O_NONBLOCK: a FIFO swapped in cannot block the open.
  int open_entry(const TarEntry& entry) const {
    std::vector<std::string> parts;
    for (std::size_t start = 0; start <= entry.path.size();) {
      const auto slash = entry.path.find('/', start);
      const auto end = slash == std::string::npos ? entry.path.size() : slash;
      parts.push_back(entry.path.substr(start, end - start));
      start = end + 1;
    }
    UniqueFd directory;
    int at = root_fd_.get();
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const int next = ::openat(at, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0) throw Error(name_ + ": " + entry.path, errno_text());
      directory = UniqueFd(next);
      at = directory.get();
    }
    const int fd = ::openat(at, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw Error(name_ + ": " + entry.path, errno_text());
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || static_cast<std::uint64_t>(info.st_size) != entry.size) {
      ::close(fd);
      throw Error(name_ + ": " + entry.path, "changed while reading");
    }
    return fd;
  }

  void read_head(TarEntry& entry, std::uint64_t& document_bytes) const {
    if (entry.size == 0) return;
    UniqueFd fd(open_entry(entry));
    char magic[kMagicBytes];
    const auto n = ::pread(fd.get(), magic, sizeof magic, 0);
    if (n < 0) throw Error(name_ + ": " + entry.path, errno_text());
    entry.magic.assign(magic, static_cast<std::size_t>(n));
    if (entry.size > kMaxJsonDocumentBytes || !looks_like_json(entry.magic)) return;
    document_bytes += entry.size;
    if (document_bytes > kMaxJsonDocumentsBytes) {
      throw Error(name_, "more than " + std::to_string(kMaxJsonDocumentsBytes >> 20) +
                  " MiB of JSON documents, not an image layout");
    }
    MemorySink content;
    content.copy_range(fd.get(), 0, entry.size, name_ + ": " + entry.path);
    entry.content = content.bytes();
  }

  UniqueFd root_fd_;
};

}  // namespace

bool looks_like_json(std::string_view magic) {
  const auto first = magic.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (magic[first] == '{' || magic[first] == '[');
}

std::unique_ptr<ArchiveInput> open_tar_archive(int fd, std::string name, KeepData keep) {
  UniqueFd owned(fd);
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw Error(name, errno_text());
  if (S_ISDIR(info.st_mode)) throw Error(name, "a directory, not an archive");
  if (!S_ISREG(info.st_mode)) {  // a pipe, a socket, a terminal, /dev/null
    return std::make_unique<TarArchiveInput>(std::move(owned), std::move(name), std::nullopt, std::move(keep));
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size == 0) throw Error(name, "empty file, not an image archive");
  char magic[kMagicBytes];
  const auto n = ::pread(fd, magic, sizeof magic, 0);
  if (n < 0) throw Error(name, "read failed: " + errno_text());
  if (detect_compression(std::string_view(magic, static_cast<std::size_t>(n))) == Compression::none) {
    return std::make_unique<TarArchiveInput>(std::move(owned), std::move(name), size);
  }
  return std::make_unique<TarArchiveInput>(std::move(owned), std::move(name), size, std::move(keep));
}

std::unique_ptr<ArchiveInput> open_tar_archive(const std::filesystem::path& path, std::string name, KeepData keep) {
  // O_NONBLOCK: a FIFO must not block the open; it is then refused as not a regular file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(name, errno_text());
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw Error(name, "not a regular file");
  }
  return open_tar_archive(fd, std::move(name), std::move(keep));
}

std::unique_ptr<ArchiveInput> open_layout_directory(const std::filesystem::path& path, std::string name) {
  return std::make_unique<DirectoryInput>(path, std::move(name));
}

}  // namespace dockerdiff::archive
