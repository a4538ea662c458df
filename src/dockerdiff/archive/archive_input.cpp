#include "dockerdiff/archive/archive_input.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

#include "dockerdiff/archive/decompression_limit.hpp"
#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/limits.hpp"
#include "dockerdiff/util/libarchive.hpp"
#include "dockerdiff/util/posix.hpp"

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

Compression compression_of_filter(int code) {
  switch (code) {
    case ARCHIVE_FILTER_GZIP: return Compression::gzip;
    case ARCHIVE_FILTER_ZSTD: return Compression::zstd;
    case ARCHIVE_FILTER_XZ: return Compression::xz;
    case ARCHIVE_FILTER_BZIP2: return Compression::bzip2;
    default: return Compression::none;
  }
}

// One sequential libarchive read of a tar stream from the start of `fd`.
class TarStream {
 public:
  // `stored_bytes`: the size of the file, which bounds what it may decompress to.
  TarStream(int fd, const std::string& name, std::uint64_t stored_bytes)
      : name_(name), stored_bytes_(stored_bytes) {
    if (::lseek(fd, 0, SEEK_SET) < 0) throw Error(name_, "cannot seek: " + errno_text());
    archive_.reset(archive_read_new());
    if (archive_ == nullptr) throw Error(name_, "cannot create a libarchive reader");
    archive_read_support_filter_gzip(archive_.get());
    archive_read_support_filter_zstd(archive_.get());
    archive_read_support_filter_xz(archive_.get());
    archive_read_support_filter_bzip2(archive_.get());
    archive_read_support_format_tar(archive_.get());
    // Small blocks: after each seek past a layer only a header is needed.
    if (archive_read_open_fd(archive_.get(), fd, 64 << 10) != ARCHIVE_OK) fail("cannot open");
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
    check_decompressed();
    return entry;
  }

  // Calls `on_block` for each block of the current entry's data until it returns false.
  template <typename OnBlock>
  void read_data(OnBlock&& on_block) {
    const auto read = read_data_blocks(archive_.get(), [&](std::string_view block) {
      check_decompressed();
      return on_block(block);
    });
    if (read == DataRead::failed) fail("corrupt or truncated data");
  }

  // Offset of the current entry's data in the uncompressed stream.
  std::uint64_t position() const { return static_cast<std::uint64_t>(archive_filter_bytes(archive_.get(), 0)); }
  Compression compression() const { return compression_of_filter(archive_filter_code(archive_.get(), 0)); }

  [[noreturn]] void fail(const std::string& what) const {
    const char* text = archive_error_string(archive_.get());
    throw Error(name_, what + (text != nullptr ? std::string(": ") + text : std::string()));
  }

 private:
  // A compressed stream may not decompress to more than limits::decompression_limit of its size.
  void check_decompressed() const {
    if (archive_filter_code(archive_.get(), 0) == ARCHIVE_FILTER_NONE) return;
    check_decompressed_size(position(), stored_bytes_, name_);
  }

  ArchiveReader archive_;
  std::string name_;
  std::uint64_t stored_bytes_ = 0;
};

class TarArchiveInput final : public ArchiveInput {
 public:
  TarArchiveInput(int fd, std::string name) : ArchiveInput(std::move(name)), fd_(fd) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) throw Error(name_, errno_text());
    if (!S_ISREG(info.st_mode)) throw Error(name_, "not a regular file");
    stored_bytes_ = static_cast<std::uint64_t>(info.st_size);
    if (stored_bytes_ == 0) throw Error(name_, "empty file, not an image archive");
    scan();
  }

  std::string_view kind() const override { return "tar"; }

  void copy_entry(std::size_t index, ByteSink& sink) override {
    const auto& entry = entries_.at(index);
    if (compression_ == Compression::none) {
      sink.copy_range(fd_.get(), *entry.data_offset, entry.size, name_ + ": " + entry.path);
      return;
    }
    // Compressed: read forward; start over only when asked for an entry already passed.
    if (!stream_ || ordinals_[index] < next_ordinal_) {
      stream_ = std::make_unique<TarStream>(fd_.get(), name_, stored_bytes_);
      next_ordinal_ = 0;
    }
    while (true) {
      if (stream_->next() == nullptr) throw Error(name_ + ": " + entry.path, "archive changed while reading");
      if (next_ordinal_++ == ordinals_[index]) break;
    }
    std::uint64_t copied = 0;
    stream_->read_data([&](std::string_view block) {
      const auto take = std::min<std::uint64_t>(block.size(), entry.size - copied);
      sink.write(block.data(), static_cast<std::size_t>(take));
      copied += take;
      return copied < entry.size;
    });
    if (copied != entry.size) throw Error(name_ + ": " + entry.path, "unexpected end of data (truncated archive)");
  }

 private:
  void scan() {
    TarStream stream(fd_.get(), name_, stored_bytes_);
    std::set<std::string> seen;
    std::uint64_t name_bytes = 0;
    std::uint64_t document_bytes = 0;
    for (std::size_t ordinal = 0;; ++ordinal) {
      archive_entry* header = stream.next();
      if (header == nullptr) break;
      if (ordinal == 0) compression_ = stream.compression();
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
      if (entry.type == EntryType::regular) {
        entry.size = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(header)));
        if (compression_ == Compression::none) entry.data_offset = stream.position();
        if (entry.size > 0) read_head(stream, entry, document_bytes);
      }
      entries_.push_back(std::move(entry));
      ordinals_.push_back(ordinal);
    }
    // Seeking past data does not notice a file cut short inside the last entries.
    for (const auto& entry : entries_) {
      if (entry.data_offset && *entry.data_offset + entry.size > stored_bytes_) {
        throw Error(name_ + ": " + entry.path, "unexpected end of file (truncated archive)");
      }
    }
  }

  // Sniffs the first bytes and keeps the whole of small JSON documents. A compressed archive is
  // decompressed whole anyway, so there every entry is also hashed: neither gzip as libarchive
  // reads it nor zstd frames without checksums would otherwise notice corrupt data.
  void read_head(TarStream& stream, TarEntry& entry, std::uint64_t& document_bytes) {
    const bool hash_all = compression_ != Compression::none;
    image_hash_.reset();
    if (hash_all) image_hash_ = std::make_unique<dockerdiff::Sha256>();
    bool keep = false;
    std::string content;
    std::uint64_t seen = 0;
    stream.read_data([&](std::string_view block) {
      seen += block.size();
      if (image_hash_) image_hash_->update(block);
      if (entry.magic.empty()) {
        entry.magic = std::string(block.substr(0, kMagicBytes));
        keep = entry.size <= kMaxJsonDocumentBytes && looks_like_json(entry.magic);
        if (!keep) return hash_all;
        document_bytes += entry.size;
        if (document_bytes > kMaxJsonDocumentsBytes) {
          throw Error(name_, "more than " + std::to_string(kMaxJsonDocumentsBytes >> 20) +
                      " MiB of JSON documents, not an image archive");
        }
        content.reserve(static_cast<std::size_t>(entry.size));
      }
      if (keep) content.append(block);
      return true;
    });
    if (image_hash_) {
      if (seen != entry.size) throw Error(name_ + ": " + entry.path, "unexpected end of data (truncated archive)");
      entry.digest = image_hash_->digest();
    }
    if (keep) {
      if (content.size() != entry.size) throw Error(name_ + ": " + entry.path, "unexpected end of data");
      entry.content = std::move(content);
    }
  }

  UniqueFd fd_;
  std::vector<std::size_t> ordinals_;
  std::unique_ptr<TarStream> stream_;
  std::unique_ptr<dockerdiff::Sha256> image_hash_;
  std::size_t next_ordinal_ = 0;
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

std::unique_ptr<ArchiveInput> open_tar_archive(int fd, std::string name) {
  return std::make_unique<TarArchiveInput>(fd, std::move(name));
}

std::unique_ptr<ArchiveInput> open_tar_archive(const std::filesystem::path& path, std::string name) {
  // O_NONBLOCK: a FIFO must not block the open; it is then refused as not a regular file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(name, errno_text());
  return open_tar_archive(fd, std::move(name));
}

std::unique_ptr<ArchiveInput> open_layout_directory(const std::filesystem::path& path, std::string name) {
  return std::make_unique<DirectoryInput>(path, std::move(name));
}

int spool_to_temp_file(int fd, const std::string& name) {
  auto out = unnamed_temp_file(name);
  std::vector<char> buffer(std::size_t{1} << 20);
  auto sink = make_fd_sink(out.get(), name + " (temporary copy)");
  while (true) {
    const auto n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(name, "read failed: " + errno_text());
    }
    if (n == 0) break;
    sink->write(buffer.data(), static_cast<std::size_t>(n));
  }
  sink->finish();
  ::lseek(out.get(), 0, SEEK_SET);
  return out.release();
}

}  // namespace dockerdiff::archive
