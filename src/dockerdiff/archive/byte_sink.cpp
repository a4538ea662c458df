#include "dockerdiff/archive/byte_sink.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>

#include "dockerdiff/archive/parallel_gzip_sink.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/libarchive.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::archive {

namespace {

constexpr std::size_t kChunk = std::size_t{1} << 20;
// Without copy offload (ext4; xfs without reflink) copy_file_range splices 64 KiB at a time,
// counted from where the call starts.
constexpr std::uint64_t kSpliceStep = std::uint64_t{64} << 10;

class FdSink final : public ByteSink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) { buffer_.reserve(kChunk); }

  void write(const void* data, std::size_t size) override {
    const auto* bytes = static_cast<const char*>(data);
    if (buffer_.size() + size > kChunk) flush();
    if (size >= kChunk) {
      write_all(fd_, bytes, size, name_);
      written_ += size;
      return;
    }
    buffer_.insert(buffer_.end(), bytes, bytes + size);
  }

  void copy_range(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what) override {
    flush();
    auto in_offset = static_cast<off_t>(offset);
    while (length > 0 && kernel_copy_) {
      // The first call ends at a 64 KiB boundary of the output, so that later steps write whole
      // aligned pages (the plan puts the data at the input's offset within a page).
      auto limit = std::uint64_t{1} << 30;
      if (written_ % kSpliceStep != 0 && length > kSpliceStep) limit = kSpliceStep - written_ % kSpliceStep;
      const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(length, limit));
      const auto n = ::copy_file_range(fd, &in_offset, fd_, nullptr, step, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EBADF) {
          kernel_copy_ = false;  // e.g. a pipe on stdout: fall back to sendfile or read/write
          break;
        }
        throw Error(name_, "write failed: " + errno_text());
      }
      if (n == 0) throw Error(what, "unexpected end of file (truncated archive)");
      length -= static_cast<std::uint64_t>(n);
      written_ += static_cast<std::uint64_t>(n);
    }
    while (length > 0 && sendfile_) {
      const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(length, std::uint64_t{1} << 30));
      const auto n = ::sendfile(fd_, fd, &in_offset, step);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EINVAL || errno == ENOSYS) {
          sendfile_ = false;
          break;
        }
        throw Error(name_, "write failed: " + errno_text());
      }
      if (n == 0) throw Error(what, "unexpected end of file (truncated archive)");
      length -= static_cast<std::uint64_t>(n);
      written_ += static_cast<std::uint64_t>(n);
    }
    if (length > 0) pread_copy(fd, static_cast<std::uint64_t>(in_offset), length, what, *this);
  }

  void finish() override { flush(); }
  std::uint64_t bytes_written() const override { return written_ + buffer_.size(); }

 private:
  void flush() {
    if (buffer_.empty()) return;
    write_all(fd_, buffer_.data(), buffer_.size(), name_);
    written_ += buffer_.size();
    buffer_.clear();
  }

  int fd_;
  std::string name_;
  std::vector<char> buffer_;
  std::uint64_t written_ = 0;
  bool kernel_copy_ = true;
  bool sendfile_ = true;
};

// zstd on all cores through libarchive (gzip has its own sink, archive/parallel_gzip_sink.hpp).
// libarchive's "raw" format writes one stream of bytes through its compression filters; the tar
// structure itself comes from TarWriter, so the same tar bytes are produced with or without
// compression.
class CompressingSink final : public ByteSink {
 public:
  CompressingSink(int fd, std::string name, Compression compression, int level) : fd_(fd), name_(std::move(name)) {
    archive_.reset(archive_write_new());
    if (archive_ == nullptr) throw Error(name_, "cannot create a libarchive writer");
    check(archive_write_set_format_raw(archive_.get()), "set raw format");
    if (compression != Compression::zstd) {
      throw Error(name_, "output compression " + std::string(compression_name(compression)) + " is not supported");
    }
    check(archive_write_add_filter_zstd(archive_.get()), "zstd");
    const auto threads = std::to_string(std::max(1U, std::thread::hardware_concurrency()));
    check(archive_write_set_filter_option(archive_.get(), "zstd", "threads", threads.c_str()), "zstd threads");
    if (level > 0) {
      const auto text = std::to_string(level);
      check(archive_write_set_filter_option(archive_.get(), nullptr, "compression-level", text.c_str()),
            "compression level " + text);
    }
    check(archive_write_set_bytes_per_block(archive_.get(), 1 << 16), "block size");
    check(archive_write_set_bytes_in_last_block(archive_.get(), 1), "last block");
    check(archive_write_open(archive_.get(), this, nullptr, &CompressingSink::on_write, nullptr), "open");
    const ArchiveEntry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), "archive.tar");
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    check(archive_write_header(archive_.get(), entry.get()), "start");
  }

  ~CompressingSink() override { abandon(); }

  void write(const void* data, std::size_t size) override {
    if (archive_ == nullptr) throw Error(name_, "write after a failed write");
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
      const auto n = archive_write_data(archive_.get(), bytes, size);
      if (n < 0) {
        auto error = write_error_ ? *write_error_ : Error(name_, failure_text());
        abandon();  // now, while `data` is alive: the failed compressor still points into it
        throw error;
      }
      bytes += n;
      size -= static_cast<std::size_t>(n);
    }
  }

  void finish() override {
    if (archive_ == nullptr) throw Error(name_, "write after a failed write");
    check(archive_write_close(archive_.get()), "close");
    archive_write_free(archive_.release());  // closed: nothing for ArchiveWriterFree to abandon
  }

  std::uint64_t bytes_written() const override { return written_; }

 private:
  static la_ssize_t on_write(struct archive*, void* self, const void* buffer, size_t length) {
    auto* sink = static_cast<CompressingSink*>(self);
    if (sink->discard_) return static_cast<la_ssize_t>(length);
    try {
      write_all(sink->fd_, static_cast<const char*>(buffer), length, sink->name_);
    } catch (const Error& error) {
      sink->write_error_ = error;
      return -1;
    }
    sink->written_ += length;
    return static_cast<la_ssize_t>(length);
  }

  // Closes an unfinished writer (an error) without letting anything more reach the destination.
  // After a failed write only while that write's data is still alive, since the compressor may
  // still point into it.
  void abandon() {
    discard_ = true;
    archive_.reset();
  }

  // What libarchive says went wrong (a failed write of the destination is kept in write_error_).
  std::string failure_text() const {
    const char* text = archive_error_string(archive_.get());
    return text != nullptr ? text : "compression failed";
  }

  void check(int status, const std::string& step) const {
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
      if (write_error_) throw *write_error_;
      throw Error(name_, "compression (" + step + ") failed: " + failure_text());
    }
  }

  ArchiveWriter archive_;
  int fd_;
  std::string name_;
  std::optional<Error> write_error_;  // the destination's own write error, reported as it is
  std::uint64_t written_ = 0;
  bool discard_ = false;
};

}  // namespace

void write_all(int fd, const void* data, std::size_t size, const std::string& name) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const auto n = ::write(fd, bytes, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(name, "write failed: " + errno_text());
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
}

void ByteSink::copy_range(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what) {
  pread_copy(fd, offset, length, what, *this);
}

void MemorySink::write(const void* data, std::size_t size) { bytes_.append(static_cast<const char*>(data), size); }

void pread_chunks(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what,
                  const std::function<void(const char* data, std::size_t size)>& use) {
  std::vector<char> buffer(static_cast<std::size_t>(std::min<std::uint64_t>(length, kChunk)));
  while (length > 0) {
    const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size()));
    const auto n = ::pread(fd, buffer.data(), step, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(what, "read failed: " + errno_text());
    }
    if (n == 0) throw Error(what, "unexpected end of file (truncated archive)");
    use(buffer.data(), static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
    length -= static_cast<std::uint64_t>(n);
  }
}

void pread_copy(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what, ByteSink& sink) {
  pread_chunks(fd, offset, length, what, [&](const char* data, std::size_t size) { sink.write(data, size); });
}

std::unique_ptr<ByteSink> make_fd_sink(int fd, std::string name) {
  return std::make_unique<FdSink>(fd, std::move(name));
}

std::unique_ptr<ByteSink> make_compressing_sink(int fd, std::string name, Compression compression, int level) {
  if (compression == Compression::gzip) return make_parallel_gzip_sink(fd, std::move(name), level);
  return std::make_unique<CompressingSink>(fd, std::move(name), compression, level);
}

}  // namespace dockerdiff::archive
