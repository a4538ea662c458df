#include "dockerdiff/archive/tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "dockerdiff/archive/tar_layout.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/libarchive.hpp"

namespace dockerdiff::archive {

namespace {

// Captures what libarchive writes, with blocking off so that nothing is padded or held back.
class HeaderEncoder {
 public:
  // The encoder never writes entry data: ArchiveWriterFree fails the writer before closing it, which
  // keeps libarchive from padding the entry with zeros.
  HeaderEncoder() : archive_(archive_write_new()) {
    if (archive_ == nullptr || archive_write_set_format_pax_restricted(archive_.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(archive_.get(), 0) != ARCHIVE_OK ||
        archive_write_open(archive_.get(), &bytes_, nullptr, &HeaderEncoder::capture, nullptr) != ARCHIVE_OK) {
      throw Error("libarchive", "cannot create a tar header encoder");
    }
  }

  std::string header(const TarHeader& header) {
    check_writable(header);
    const ArchiveEntry entry(archive_entry_new());
    archive_entry_set_pathname_utf8(entry.get(), header.path.c_str());
    archive_entry_set_mtime(entry.get(), header.mtime, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    switch (header.type) {
      case EntryType::directory:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        archive_entry_set_perm(entry.get(), header.mode & 07777);
        archive_entry_set_size(entry.get(), 0);
        break;
      case EntryType::symlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_perm(entry.get(), 0777);
        archive_entry_set_symlink_utf8(entry.get(), header.link_target.c_str());
        archive_entry_set_size(entry.get(), 0);
        break;
      case EntryType::hardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), header.mode & 07777);
        archive_entry_set_hardlink_utf8(entry.get(), header.link_target.c_str());
        archive_entry_set_size(entry.get(), 0);
        break;
      case EntryType::regular:
      case EntryType::other:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), header.mode & 07777);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(header.size));
        break;
    }
    bytes_.clear();
    const int status = archive_write_header(archive_.get(), entry.get());
    if (status != ARCHIVE_OK) {
      const char* text = archive_error_string(archive_.get());
      throw Error(header.path, std::string("cannot encode tar header: ") + (text != nullptr ? text : "unknown error"));
    }
    return bytes_;
  }

 private:
  static la_ssize_t capture(struct archive*, void* self, const void* buffer, size_t length) {
    static_cast<std::string*>(self)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  }

  std::string bytes_;  // before archive_, which writes into it until it is freed
  ArchiveWriter archive_;
};

// libarchive ends a tar stream with two zero blocks; with blocking off that is all it writes.
std::string end_of_archive() {
  std::string bytes;
  struct archive* archive = archive_write_new();
  archive_write_set_format_pax_restricted(archive);
  archive_write_set_bytes_per_block(archive, 0);
  archive_write_open(
      archive, &bytes, nullptr,
      [](struct archive*, void* self, const void* buffer, size_t length) -> la_ssize_t {
        static_cast<std::string*>(self)->append(static_cast<const char*>(buffer), length);
        return static_cast<la_ssize_t>(length);
      },
      nullptr);
  archive_write_close(archive);
  archive_write_free(archive);
  return bytes;
}

// Counts what an entry's writer puts into the sink so that a short source cannot misalign the tar.
class CountingSink final : public ByteSink {
 public:
  explicit CountingSink(ByteSink& inner) : inner_(inner) {}
  void write(const void* data, std::size_t size) override {
    inner_.write(data, size);
    count_ += size;
  }
  void copy_range(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what) override {
    inner_.copy_range(fd, offset, length, what);
    count_ += length;
  }
  void finish() override {}
  std::uint64_t bytes_written() const override { return count_; }

 private:
  ByteSink& inner_;
  std::uint64_t count_ = 0;
};

}  // namespace

void TarWriter::add(const TarHeader& header, const std::function<void(ByteSink&)>& write_data) {
  // A fresh encoder per entry: libarchive would otherwise pad the previous entry's data itself.
  const auto encoded = HeaderEncoder().header(header);
  sink_.write(encoded.data(), encoded.size());
  if (!has_data(header) || header.size == 0) return;
  CountingSink counted(sink_);
  if (write_data) write_data(counted);
  if (counted.bytes_written() != header.size) {
    throw Error(header.path, "expected " + std::to_string(header.size) + " bytes of data, got " +
                std::to_string(counted.bytes_written()));
  }
  static const std::string kZeros(kTarBlock, '\0');
  const auto padding = (kTarBlock - header.size % kTarBlock) % kTarBlock;
  sink_.write(kZeros.data(), static_cast<std::size_t>(padding));
}

void TarWriter::add_bytes(const TarHeader& header, const std::string& data) {
  TarHeader sized = header;
  sized.size = data.size();
  add(sized, [&](ByteSink& sink) { sink.write(data.data(), data.size()); });
}

void TarWriter::finish() {
  static const std::string kEnd = end_of_archive();
  sink_.write(kEnd.data(), kEnd.size());
  sink_.finish();
}

}  // namespace dockerdiff::archive
