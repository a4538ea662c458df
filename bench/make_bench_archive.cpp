// Writes the benchmark's input archives in the legacy `docker save` layout, streaming, in constant
// memory:
//
//   OUT_DIR/base.tar   one image, bench/base:latest, with one base layer of --base-bytes
//   OUT_DIR/app.tar    one image, bench/app:latest, with the same base layer and an app layer of
//                      --app-bytes on top
//   OUT_DIR/bench.env  KEY=VALUE lines describing both (layer paths, diff_ids, sizes) for bench/run
//
// Each layer.tar is itself a tar holding one big file of pseudo-random bytes (splitmix64, so the data
// does not compress and is the same on every run). A layer is generated twice from the same seed:
// once into SHA-256 to learn its diff_id and size (the config and the outer tar header need both
// before the data), then into the archive. Nothing is buffered beyond one 1 MiB chunk.
//
// usage: dockerdiff_make_bench_archive --base-bytes N --app-bytes M --out-dir DIR [--seed S]
//        (N and M take an optional K, M or G suffix: binary units)

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dockerdiff/util/digest.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kChunk = std::size_t{1} << 20;
constexpr std::int64_t kMtime = 1700000000;  // 2023-11-14: fixed, so equal inputs give equal bytes
constexpr const char* kCreated = "2023-11-14T22:13:20Z";

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

// Where a tar's bytes go.
using Consumer = std::function<void(const void*, std::size_t)>;

// A tar stream encoded by libarchive (pax where needed: a layer over 8 GiB needs a size record) with
// no blocking, as Go's archive/tar writes it for docker save: entries padded to 512 bytes and two
// zero blocks at the end, nothing more.
class TarOut {
 public:
  explicit TarOut(Consumer consumer) : consumer_(std::move(consumer)), archive_(archive_write_new()) {
    if (archive_ == nullptr) fail("libarchive: cannot create a writer");
    check(archive_write_set_format_pax_restricted(archive_), "set format");
    check(archive_write_set_bytes_per_block(archive_, 0), "set block size");
    check(archive_write_open(archive_, this, nullptr, &TarOut::on_write, nullptr), "open");
  }
  ~TarOut() {
    if (archive_ != nullptr) {
      archive_write_fail(archive_);
      archive_write_free(archive_);
    }
  }
  TarOut(const TarOut&) = delete;
  TarOut& operator=(const TarOut&) = delete;

  void directory(const std::string& path) { header(path, AE_IFDIR, 0755, 0); }

  // Starts a regular file of `size` bytes: exactly that many must follow through data().
  void file(const std::string& path, std::uint64_t size) { header(path, AE_IFREG, 0644, size); }

  void data(const void* bytes, std::size_t size) {
    const auto* cursor = static_cast<const char*>(bytes);
    while (size > 0) {
      const auto n = archive_write_data(archive_, cursor, size);
      if (n <= 0) check(ARCHIVE_FATAL, "write data");
      cursor += n;
      size -= static_cast<std::size_t>(n);
    }
  }

  void file_bytes(const std::string& path, const std::string& content) {
    file(path, content.size());
    data(content.data(), content.size());
  }

  // Writes the end-of-archive marker.
  void close() {
    check(archive_write_close(archive_), "close");
    archive_write_free(archive_);
    archive_ = nullptr;
  }

 private:
  void header(const std::string& path, unsigned int type, unsigned int mode, std::uint64_t size) {
    archive_entry* entry = archive_entry_new();
    if (entry == nullptr) fail("libarchive: out of memory");
    archive_entry_set_pathname(entry, path.c_str());
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, static_cast<mode_t>(mode));
    archive_entry_set_size(entry, static_cast<la_int64_t>(size));
    archive_entry_set_mtime(entry, kMtime, 0);
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    const int status = archive_write_header(archive_, entry);
    archive_entry_free(entry);
    check(status, ("header of " + path).c_str());
  }

  static la_ssize_t on_write(struct archive*, void* self, const void* buffer, size_t length) {
    auto* out = static_cast<TarOut*>(self);
    try {
      out->consumer_(buffer, length);
    } catch (const std::exception& error) {
      out->error_ = error.what();
      return -1;
    }
    return static_cast<la_ssize_t>(length);
  }

  void check(int status, const char* step) const {
    if (status == ARCHIVE_OK) return;
    if (!error_.empty()) fail(error_);
    const char* text = archive_error_string(archive_);
    fail(std::string("libarchive: ") + step + ": " + (text != nullptr ? text : "failed"));
  }

  Consumer consumer_;
  struct archive* archive_;
  std::string error_;
};

// splitmix64: fast, and its output does not compress.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

struct LayerSpec {
  std::string name;  // "base" or "app"
  std::uint64_t bytes = 0;
  std::uint64_t seed = 0;
  // Known after the first pass:
  std::string diff_id;
  std::uint64_t tar_bytes = 0;
};

// The layer tar: a directory and one file of `bytes` pseudo-random bytes.
void stream_layer(const LayerSpec& layer, const Consumer& out) {
  TarOut tar(out);
  tar.directory(layer.name + "/");
  tar.file(layer.name + "/blob.bin", layer.bytes);
  std::vector<std::uint64_t> words(kChunk / sizeof(std::uint64_t));
  SplitMix64 random(layer.seed);
  std::uint64_t remaining = layer.bytes;
  while (remaining > 0) {
    for (auto& word : words) word = random.next();
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, kChunk));
    tar.data(words.data(), n);
    remaining -= n;
  }
  tar.close();
}

// First pass: the diff_id (sha256 of the layer tar) and the layer tar's size.
void measure_layer(LayerSpec& layer) {
  dockerdiff::Sha256 hash;
  std::uint64_t size = 0;
  stream_layer(layer, [&](const void* data, std::size_t n) {
    hash.update(data, n);
    size += n;
  });
  layer.diff_id = hash.digest();
  layer.tar_bytes = size;
}

std::string hex(std::string_view digest) { return std::string(dockerdiff::digest_hex(digest)); }

// A file written through a temporary name, renamed into place only when complete.
class OutputFile {
 public:
  explicit OutputFile(fs::path path) : path_(std::move(path)), temporary_(path_.string() + ".partial") {
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(temporary_.string() + ": " + std::strerror(errno));
  }
  ~OutputFile() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(temporary_.c_str());
    }
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const void* data, std::size_t size) {
    const auto* cursor = static_cast<const char*>(data);
    while (size > 0) {
      const auto n = ::write(fd_, cursor, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(temporary_.string() + ": write failed: " + std::strerror(errno));
      }
      cursor += n;
      size -= static_cast<std::size_t>(n);
    }
  }

  void commit() {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail(temporary_.string() + ": " + std::strerror(errno));
    std::error_code error;
    fs::rename(temporary_, path_, error);
    if (error) fail(path_.string() + ": " + error.message());
  }

 private:
  fs::path path_;
  fs::path temporary_;
  int fd_ = -1;
};

struct ImageFacts {
  std::vector<std::string> v1_ids;  // per layer, bottom first
  std::string config;
  std::string config_hex;
};

// Legacy v1 ids: any 64 hex digits unique to the layer's chain will do; docker derives them from the
// chain too, so the base layer has the same id in both archives.
ImageFacts image_facts(const std::vector<const LayerSpec*>& layers) {
  ImageFacts facts;
  std::vector<std::string> diff_ids;
  auto history = json::array();
  for (const auto* layer : layers) {
    diff_ids.push_back(layer->diff_id);
    history.push_back({{"created", kCreated}, {"created_by", "dockerdiff bench: " + layer->name + " layer"}});
  }
  for (const auto& chain : dockerdiff::chain_ids(diff_ids)) {
    facts.v1_ids.push_back(hex(dockerdiff::sha256_digest("dockerdiff-bench-v1 " + chain)));
  }
  facts.config = json{
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", kCreated},
      {"config", {{"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}, {"Cmd", {"/bin/sh"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
      {"history", history},
  }.dump();
  facts.config_hex = hex(dockerdiff::sha256_digest(facts.config));
  return facts;
}

void write_image_archive(const fs::path& path, const std::string& tag, const std::vector<const LayerSpec*>& layers) {
  const auto facts = image_facts(layers);
  OutputFile file(path);
  TarOut tar([&](const void* data, std::size_t size) { file.write(data, size); });
  auto layer_paths = json::array();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto& id = facts.v1_ids[i];
    json v1{{"id", id}, {"created", kCreated}, {"os", "linux"}};
    if (i > 0) v1["parent"] = facts.v1_ids[i - 1];
    if (i + 1 == layers.size()) v1["config"] = json::parse(facts.config)["config"];
    tar.directory(id + "/");
    tar.file_bytes(id + "/VERSION", "1.0");
    tar.file_bytes(id + "/json", v1.dump());
    tar.file(id + "/layer.tar", layers[i]->tar_bytes);
    std::uint64_t streamed = 0;
    stream_layer(*layers[i], [&](const void* data, std::size_t size) {
      tar.data(data, size);
      streamed += size;
    });
    if (streamed != layers[i]->tar_bytes) fail(layers[i]->name + " layer: the second pass gave a different size");
    layer_paths.push_back(id + "/layer.tar");
  }
  tar.file_bytes(facts.config_hex + ".json", facts.config);
  const auto colon = tag.rfind(':');
  const auto repository = tag.substr(0, colon);
  const auto version = tag.substr(colon + 1);
  tar.file_bytes("manifest.json",
                 json::array({{{"Config", facts.config_hex + ".json"}, {"RepoTags", {tag}}, {"Layers", layer_paths}}}).dump());
  tar.file_bytes("repositories", json{{repository, {{version, facts.v1_ids.back()}}}}.dump());
  tar.close();
  file.commit();
}

std::uint64_t parse_size(std::string_view text, std::string_view option) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || rest == text.data()) fail(std::string(option) + ": not a size: '" + std::string(text) + "'");
  const std::string_view suffix(rest, static_cast<std::size_t>(end - rest));
  unsigned shift = 0;
  if (suffix == "K" || suffix == "KiB") {
    shift = 10;
  } else if (suffix == "M" || suffix == "MiB") {
    shift = 20;
  } else if (suffix == "G" || suffix == "GiB") {
    shift = 30;
  } else if (!suffix.empty()) {
    fail(std::string(option) + ": unknown unit '" + std::string(suffix) + "' (use K, M or G)");
  }
  if (shift > 0 && value > (std::numeric_limits<std::uint64_t>::max() >> shift)) fail(std::string(option) + ": too large");
  return value << shift;
}

void usage(std::ostream& out) {
  out << "usage: dockerdiff_make_bench_archive --base-bytes N --app-bytes M --out-dir DIR [--seed S]\n"
         "  Writes DIR/base.tar (base layer of N bytes) and DIR/app.tar (that base layer and an app\n"
         "  layer of M bytes) in the legacy docker save layout, and DIR/bench.env describing them.\n"
         "  N and M take an optional K, M or G suffix (binary units).\n";
}

int run(int argc, char** argv) {
  std::uint64_t base_bytes = 0;
  std::uint64_t app_bytes = 0;
  std::uint64_t seed = 0x646f636b65726469ULL;
  bool have_base = false;
  bool have_app = false;
  fs::path out_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(std::cout);
      return 0;
    }
    if (i + 1 >= argc) {
      usage(std::cerr);
      return 2;
    }
    const std::string_view value = argv[++i];
    if (arg == "--base-bytes") {
      base_bytes = parse_size(value, arg);
      have_base = true;
    } else if (arg == "--app-bytes") {
      app_bytes = parse_size(value, arg);
      have_app = true;
    } else if (arg == "--out-dir") {
      out_dir = value;
    } else if (arg == "--seed") {
      seed = parse_size(value, arg);
    } else {
      std::cerr << "dockerdiff_make_bench_archive: unknown option " << arg << "\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (!have_base || !have_app || out_dir.empty()) {
    usage(std::cerr);
    return 2;
  }
  fs::create_directories(out_dir);
  const auto env_path = out_dir / "bench.env";
  fs::remove(env_path);  // written last: its presence means both archives are complete

  LayerSpec base{"base", base_bytes, seed, {}, 0};
  LayerSpec app{"app", app_bytes, seed ^ 0x5bd1e995ULL, {}, 0};
  measure_layer(base);
  measure_layer(app);
  write_image_archive(out_dir / "base.tar", "bench/base:latest", {&base});
  write_image_archive(out_dir / "app.tar", "bench/app:latest", {&base, &app});

  const auto facts = image_facts({&base, &app});
  std::string env;
  env += "BASE_BYTES=" + std::to_string(base.bytes) + "\n";
  env += "APP_BYTES=" + std::to_string(app.bytes) + "\n";
  env += "BASE_LAYER_PATH=" + facts.v1_ids[0] + "/layer.tar\n";
  env += "BASE_LAYER_DIFF_ID=" + base.diff_id + "\n";
  env += "BASE_LAYER_TAR_BYTES=" + std::to_string(base.tar_bytes) + "\n";
  env += "APP_LAYER_PATH=" + facts.v1_ids[1] + "/layer.tar\n";
  env += "APP_LAYER_DIFF_ID=" + app.diff_id + "\n";
  env += "APP_LAYER_TAR_BYTES=" + std::to_string(app.tar_bytes) + "\n";
  env += "APP_TAR_BYTES=" + std::to_string(fs::file_size(out_dir / "app.tar")) + "\n";
  env += "BASE_TAR_BYTES=" + std::to_string(fs::file_size(out_dir / "base.tar")) + "\n";
  OutputFile info(env_path);
  info.write(env.data(), env.size());
  info.commit();
  std::cout << env;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "dockerdiff_make_bench_archive: " << error.what() << "\n";
    return 1;
  }
}
