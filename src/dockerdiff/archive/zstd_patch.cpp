#include "dockerdiff/archive/zstd_patch.hpp"

// ZSTD_c_stableInBuffer: the compressor reads the mapped target in place (no window-sized copy).
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <memory>
#include <vector>

#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::archive {

namespace {

constexpr std::size_t kOutStep = std::size_t{1} << 20;

struct FreeCCtx {
  void operator()(ZSTD_CCtx* context) const { ZSTD_freeCCtx(context); }
};
struct FreeDCtx {
  void operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }
};

void check(std::size_t result, const std::string& what, const char* doing) {
  if (ZSTD_isError(result)) throw Error(what, std::string(doing) + ": " + ZSTD_getErrorName(result));
}

// A writable shared mapping of the `size` bytes at `offset` of `fd`, unmapped when done.
class WritableMapping {
 public:
  WritableMapping(int fd, std::uint64_t offset, std::size_t size, const std::string& what) {
    if (size == 0) return;
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const auto start = offset - offset % page;
    lead_ = static_cast<std::size_t>(offset - start);
    length_ = lead_ + size;
    void* data = ::mmap(nullptr, length_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(start));
    if (data == MAP_FAILED) throw Error(what, "cannot map the output: " + errno_text());
    data_ = static_cast<unsigned char*>(data);
  }
  ~WritableMapping() {
    if (data_ != nullptr) ::munmap(data_, length_);
  }
  WritableMapping(const WritableMapping&) = delete;
  WritableMapping& operator=(const WritableMapping&) = delete;
  unsigned char* data() const { return data_ + lead_; }

 private:
  unsigned char* data_ = nullptr;
  std::size_t lead_ = 0;
  std::size_t length_ = 0;
};

}  // namespace

std::optional<unsigned> patch_window_log(std::uint64_t reference_size, std::uint64_t target_size) {
  const auto span = reference_size + target_size;
  if (span < reference_size || span > (std::uint64_t{1} << kMaxPatchWindowLog)) return std::nullopt;
  const auto log = static_cast<unsigned>(std::bit_width(span > 1 ? span - 1 : 1));
  return std::max(log, static_cast<unsigned>(ZSTD_WINDOWLOG_MIN));
}

void write_patch(std::span<const unsigned char> reference, std::span<const unsigned char> target, ByteSink& out,
                 int level, const std::string& what) {
  const auto window_log = patch_window_log(reference.size(), target.size());
  if (!window_log) {
    throw Error(what, "a reference of " + std::to_string(reference.size()) + " bytes and a target of " +
                          std::to_string(target.size()) + " bytes do not fit in one zstd window (2 GiB)");
  }
  const std::unique_ptr<ZSTD_CCtx, FreeCCtx> context(ZSTD_createCCtx());
  if (!context) throw Error(what, "cannot create a zstd compressor");
  auto* cctx = context.get();
  const auto set = [&](ZSTD_cParameter parameter, int value) {
    check(ZSTD_CCtx_setParameter(cctx, parameter, value), what, "zstd parameter");
  };
  set(ZSTD_c_compressionLevel, level);
  set(ZSTD_c_windowLog, static_cast<int>(*window_log));
  set(ZSTD_c_enableLongDistanceMatching, 1);
  set(ZSTD_c_checksumFlag, 1);
  set(ZSTD_c_contentSizeFlag, 1);
  set(ZSTD_c_stableInBuffer, 1);
  check(ZSTD_CCtx_setPledgedSrcSize(cctx, target.size()), what, "zstd pledged size");
  check(ZSTD_CCtx_refPrefix(cctx, reference.data(), reference.size()), what, "zstd reference");
  std::vector<unsigned char> buffer(kOutStep);
  ZSTD_inBuffer in{target.data(), target.size(), 0};
  std::size_t remaining = 0;
  do {
    ZSTD_outBuffer step{buffer.data(), buffer.size(), 0};
    remaining = ZSTD_compressStream2(cctx, &step, &in, ZSTD_e_end);
    check(remaining, what, "zstd compression");
    if (step.pos > 0) out.write(buffer.data(), step.pos);
  } while (remaining != 0);
}

std::uint64_t patch_target_size(std::span<const unsigned char> patch, const std::string& what) {
  const auto frame = ZSTD_findFrameCompressedSize(patch.data(), patch.size());
  if (ZSTD_isError(frame)) throw Error(what, std::string("not a whole zstd patch: ") + ZSTD_getErrorName(frame));
  if (frame != patch.size()) throw Error(what, "data after the zstd patch's frame");
  const auto content = ZSTD_getFrameContentSize(patch.data(), patch.size());
  if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN) throw Error(what, "a zstd patch without its target's size");
  return content;
}

void apply_patch(std::span<const unsigned char> reference, std::span<const unsigned char> patch, int out_fd,
                 std::uint64_t offset, std::uint64_t size, const std::string& what) {
  const auto content = patch_target_size(patch, what);
  if (content != size) {
    throw Error(what, "rebuilds " + std::to_string(content) + " bytes, not the " + std::to_string(size) + " expected");
  }
  struct stat info {};
  if (::fstat(out_fd, &info) != 0) throw Error(what, "cannot stat the output: " + errno_text());
  if (static_cast<std::uint64_t>(info.st_size) < offset + size && ::ftruncate(out_fd, static_cast<off_t>(offset + size)) != 0) {
    throw Error(what, "cannot size the output: " + errno_text());
  }
  const std::unique_ptr<ZSTD_DCtx, FreeDCtx> context(ZSTD_createDCtx());
  if (!context) throw Error(what, "cannot create a zstd decompressor");
  check(ZSTD_DCtx_setParameter(context.get(), ZSTD_d_windowLogMax, static_cast<int>(kMaxPatchWindowLog)), what, "zstd parameter");
  check(ZSTD_DCtx_refPrefix(context.get(), reference.data(), reference.size()), what, "zstd reference");
  const WritableMapping output(out_fd, offset, static_cast<std::size_t>(size), what);
  // One call into the whole mapped target: no window buffer of the decompressor's own.
  const auto written = ZSTD_decompressDCtx(context.get(), output.data(), static_cast<std::size_t>(size), patch.data(), patch.size());
  if (ZSTD_isError(written)) {
    throw Error(what, std::string("corrupt zstd patch, or a patch of another reference: ") + ZSTD_getErrorName(written));
  }
  if (written != size) throw Error(what, "the zstd patch rebuilt " + std::to_string(written) + " of " + std::to_string(size) + " bytes");
}

}  // namespace dockerdiff::archive
