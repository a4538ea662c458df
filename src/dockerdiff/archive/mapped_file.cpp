#include "dockerdiff/archive/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <utility>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/decompressing_sink.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::archive {

MappedFile::MappedFile(int fd, const std::string& what) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw Error(what, "cannot stat: " + errno_text());
  if (!S_ISREG(info.st_mode)) throw Error(what, "not a regular file");
  map(fd, 0, static_cast<std::uint64_t>(info.st_size), what);
}

MappedFile::MappedFile(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what) {
  map(fd, offset, length, what);
}

MappedFile::MappedFile(const std::filesystem::path& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw Error(path.string(), "cannot open: " + errno_text());
  *this = MappedFile(fd.get(), path.string());
}

MappedFile::~MappedFile() { unmap(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), lead_(std::exchange(other.lead_, 0)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    unmap();
    data_ = std::exchange(other.data_, nullptr);
    lead_ = std::exchange(other.lead_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void MappedFile::map(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what) {
  if (length == 0) return;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const auto start = offset - offset % page;
  lead_ = static_cast<std::size_t>(offset - start);
  size_ = static_cast<std::size_t>(length);
  void* data = ::mmap(nullptr, lead_ + size_, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(start));
  if (data == MAP_FAILED) {
    lead_ = size_ = 0;
    throw Error(what, "cannot map: " + errno_text());
  }
  data_ = static_cast<unsigned char*>(data);
}

void MappedFile::unmap() noexcept {
  if (data_ != nullptr) ::munmap(data_, lead_ + size_);
  data_ = nullptr;
  lead_ = size_ = 0;
}

namespace {

// Takes an entry's data as the input hands it over: a single file range is mapped where it lies;
// anything else (bytes, or several ranges) goes into an unnamed temporary file, which is mapped.
class MappingSink final : public ByteSink {
 public:
  explicit MappingSink(std::string what) : what_(std::move(what)) {}

  void copy_range(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what) override {
    if (file_.get() < 0 && !range_) {
      range_.emplace(fd, offset, length, what);
      bytes_ += length;
      return;
    }
    spill();
    ByteSink::copy_range(fd, offset, length, what);
  }
  void write(const void* data, std::size_t size) override {
    spill();
    write_all(file_.get(), data, size, what_);
    bytes_ += size;
  }
  void finish() override {}
  std::uint64_t bytes_written() const override { return bytes_; }

  MappedFile take() {
    if (file_.get() >= 0) return MappedFile(file_.get(), what_);
    if (range_) return std::move(*range_);
    return {};
  }

 private:
  // From now on into the temporary file, beginning with a range mapped so far.
  void spill() {
    if (file_.get() >= 0) return;
    file_ = unnamed_temp_file(what_);
    if (range_) {
      const auto bytes = range_->bytes();
      write_all(file_.get(), bytes.data(), bytes.size(), what_);
      range_.reset();
    }
  }

  std::string what_;
  UniqueFd file_;
  std::optional<MappedFile> range_;
  std::uint64_t bytes_ = 0;
};

}  // namespace

MappedFile map_entry_data(ArchiveInput& input, std::size_t index, Compression compression, std::uint64_t max_size,
                          const std::string& what) {
  MappingSink mapped(what);
  if (compression == Compression::none) {
    input.copy_entry(index, mapped);
  } else {
    DecompressingSink decompressed(&mapped, compression, input.entries()[index].size, max_size, what);
    input.copy_entry(index, decompressed);
    decompressed.finish();
  }
  return mapped.take();
}

}  // namespace dockerdiff::archive
