#include "support/fixture.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/digest.hpp"

namespace dockerdiff::testing {

namespace fs = std::filesystem;
using archive::Compression;
using archive::EntryType;
using nlohmann::json;

namespace {

constexpr const char* kOciIndexType = "application/vnd.oci.image.index.v1+json";
constexpr const char* kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kOciConfigType = "application/vnd.oci.image.config.v1+json";
constexpr const char* kOciLayerType = "application/vnd.oci.image.layer.v1.tar";
constexpr int kMaxLinkHops = 40;
constexpr int kMaxIndexDepth = 8;

std::string hex_of(const std::string& digest) { return std::string(dockerdiff::digest_hex(digest)); }

// ---------------------------------------------------------------------------------------------
// Writing with libarchive into memory.

class ArchiveWriter {
 public:
  // `raw`: one unnamed stream of bytes through the filter (to compress a single blob).
  ArchiveWriter(Compression compression, bool raw) : archive_(archive_write_new()) {
    if (archive_ == nullptr) throw std::runtime_error("libarchive: archive_write_new failed");
    check(raw ? archive_write_set_format_raw(archive_) : archive_write_set_format_pax_restricted(archive_), "format");
    switch (compression) {
      case Compression::none: break;
      case Compression::gzip:
        check(archive_write_add_filter_gzip(archive_), "gzip");
        // No timestamp in the gzip header: the same entries give the same bytes.
        check(archive_write_set_filter_option(archive_, "gzip", "timestamp", nullptr), "gzip timestamp");
        break;
      case Compression::zstd: check(archive_write_add_filter_zstd(archive_), "zstd"); break;
      case Compression::xz: check(archive_write_add_filter_xz(archive_), "xz"); break;
      case Compression::bzip2: check(archive_write_add_filter_bzip2(archive_), "bzip2"); break;
    }
    // Nothing after the end of the stream: tar ends with its two zero blocks, like Go's archive/tar.
    check(archive_write_set_bytes_in_last_block(archive_, 1), "last block");
    check(archive_write_open(archive_, &bytes_, nullptr, &ArchiveWriter::on_write, nullptr), "open");
  }
  ~ArchiveWriter() {
    if (archive_ != nullptr) archive_write_free(archive_);
  }
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  void add(const RawEntry& raw) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
    archive_entry_set_pathname(entry.get(), raw.path.c_str());
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    bool has_data = false;
    switch (raw.type) {
      case EntryType::directory:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        archive_entry_set_perm(entry.get(), 0755);
        archive_entry_set_size(entry.get(), 0);
        break;
      case EntryType::symlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_perm(entry.get(), 0777);
        archive_entry_set_symlink(entry.get(), raw.link_target.c_str());
        archive_entry_set_size(entry.get(), 0);
        break;
      case EntryType::hardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_hardlink(entry.get(), raw.link_target.c_str());
        archive_entry_set_size(entry.get(), 0);
        break;
      case EntryType::other:
        archive_entry_set_filetype(entry.get(), AE_IFIFO);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_size(entry.get(), 0);
        break;
      case EntryType::regular:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(raw.content.size()));
        has_data = true;
        break;
    }
    check(archive_write_header(archive_, entry.get()), "header " + raw.path);
    if (has_data) write_data(raw.content);
  }

  void write_data(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const auto n = archive_write_data(archive_, data.data() + done, data.size() - done);
      if (n <= 0) fail("write data");
      done += static_cast<std::size_t>(n);
    }
  }

  std::string finish() {
    check(archive_write_close(archive_), "close");
    archive_write_free(archive_);
    archive_ = nullptr;
    return std::move(bytes_);
  }

 private:
  static la_ssize_t on_write(struct archive*, void* self, const void* buffer, size_t length) {
    static_cast<std::string*>(self)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  }

  void check(int status, const std::string& step) const {
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) fail(step);
  }

  [[noreturn]] void fail(const std::string& step) const {
    const char* text = archive_error_string(archive_);
    throw std::runtime_error("libarchive write (" + step + "): " + (text != nullptr ? text : "unknown error"));
  }

  struct archive* archive_;
  std::string bytes_;
};

}  // namespace

std::string compress_blob(const std::string& data, Compression compression) {
  if (compression == Compression::none) return data;
  ArchiveWriter writer(compression, true);
  RawEntry entry{"blob", data, EntryType::regular, {}};
  writer.add(entry);
  return writer.finish();
}

namespace {

// ---------------------------------------------------------------------------------------------
// Reading with libarchive from memory.

class ArchiveReader {
 public:
  ArchiveReader(const std::string& bytes, bool raw) : archive_(archive_read_new()) {
    if (archive_ == nullptr) throw std::runtime_error("libarchive: archive_read_new failed");
    archive_read_support_filter_all(archive_);
    if (raw) {
      archive_read_support_format_raw(archive_);
    } else {
      archive_read_support_format_tar(archive_);
    }
    if (archive_read_open_memory(archive_, bytes.data(), bytes.size()) != ARCHIVE_OK) {
      // A constructor that throws gets no destructor call: free the reader here.
      try {
        fail("open");
      } catch (...) {
        archive_read_free(archive_);
        throw;
      }
    }
  }
  ~ArchiveReader() { archive_read_free(archive_); }
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  archive_entry* next() {
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(archive_, &entry);
    if (status == ARCHIVE_EOF) return nullptr;
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) fail("next header");
    return entry;
  }

  std::string data() {
    std::string out;
    char buffer[65536];
    while (true) {
      const auto n = archive_read_data(archive_, buffer, sizeof buffer);
      if (n < 0) fail("read data");
      if (n == 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& step) const {
    const char* text = archive_error_string(archive_);
    throw std::runtime_error("libarchive read (" + step + "): " + (text != nullptr ? text : "unknown error"));
  }

  struct archive* archive_;
};

// The path as the output names it: "./a/b/" -> "a/b"; the root itself -> "".
std::string clean_path(const char* raw) {
  if (raw == nullptr) return {};
  const auto normalized = archive::normalize_path(raw);
  return normalized ? *normalized : std::string(raw);
}

// ---------------------------------------------------------------------------------------------
// The layouts.

std::string dump(const json& document) { return document.dump(); }

json tags_json(const std::vector<std::string>& tags) { return tags.empty() ? json(nullptr) : json(tags); }

// "registry:5000/app:1.0" -> {"registry:5000/app", "1.0"}; no tag -> "latest".
std::pair<std::string, std::string> split_tag(const std::string& reference) {
  const auto colon = reference.rfind(':');
  const auto slash = reference.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return {reference, "latest"};
  return {reference.substr(0, colon), reference.substr(colon + 1)};
}

std::string config_text(const std::vector<std::string>& diff_ids) {
  return dump(json{{"architecture", "amd64"},
                   {"os", "linux"},
                   {"config", json::object()},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}});
}

RawEntry dir_entry(std::string path) { return RawEntry{std::move(path), {}, EntryType::directory, {}}; }
RawEntry file_entry(std::string path, std::string content) {
  return RawEntry{std::move(path), std::move(content), EntryType::regular, {}};
}

std::vector<std::string> diff_ids_of(const std::vector<std::string>& layers) {
  std::vector<std::string> out;
  for (const auto& layer : layers) out.push_back(diff_id_of(layer));
  return out;
}

std::vector<RawEntry> legacy_entries(const std::vector<FixtureImage>& images, const FixtureOptions& options) {
  std::vector<RawEntry> layer_entries;
  std::vector<RawEntry> config_entries;
  std::set<std::string> written_v1;
  std::set<std::string> written_configs;
  std::map<std::string, std::string> first_v1;  // diff_id -> v1id whose layer.tar holds its data
  json manifest = json::array();
  json repositories = json::object();
  for (const auto& fixture_image : images) {
    const auto diff_ids = diff_ids_of(fixture_image.layers);
    const auto chains = dockerdiff::chain_ids(diff_ids);
    std::string parent;
    json layer_paths = json::array();
    for (std::size_t i = 0; i < diff_ids.size(); ++i) {
      const auto v1 = hex_of(dockerdiff::sha256_digest(chains[i] + " " + parent));
      layer_paths.push_back(v1 + "/layer.tar");
      if (written_v1.insert(v1).second) {
        json v1_json{{"id", v1}};
        if (!parent.empty()) v1_json["parent"] = parent;
        layer_entries.push_back(dir_entry(v1 + "/"));
        layer_entries.push_back(file_entry(v1 + "/VERSION", "1.0"));
        layer_entries.push_back(file_entry(v1 + "/json", dump(v1_json)));
        const auto first = first_v1.find(diff_ids[i]);
        if (options.link_repeated_layers && first != first_v1.end()) {
          if (options.use_hardlinks) {
            layer_entries.push_back(RawEntry{v1 + "/layer.tar", {}, EntryType::hardlink, first->second + "/layer.tar"});
          } else {
            layer_entries.push_back(RawEntry{v1 + "/layer.tar", {}, EntryType::symlink, "../" + first->second + "/layer.tar"});
          }
        } else {
          layer_entries.push_back(file_entry(v1 + "/layer.tar", fixture_image.layers[i]));
          first_v1.try_emplace(diff_ids[i], v1);
        }
      }
      parent = v1;
    }
    const auto config = config_text(diff_ids);
    const auto config_name = hex_of(dockerdiff::sha256_digest(config)) + ".json";
    if (written_configs.insert(config_name).second) config_entries.push_back(file_entry(config_name, config));
    manifest.push_back({{"Config", config_name}, {"RepoTags", tags_json(fixture_image.tags)}, {"Layers", layer_paths}});
    for (const auto& tag : fixture_image.tags) {
      const auto [repo, name] = split_tag(tag);
      repositories[repo][name] = parent;
    }
  }
  std::vector<RawEntry> out = std::move(layer_entries);
  out.insert(out.end(), config_entries.begin(), config_entries.end());
  out.push_back(file_entry("manifest.json", dump(manifest)));
  if (!repositories.empty()) out.push_back(file_entry("repositories", dump(repositories)));
  return out;
}

std::string layer_media_type(Compression compression) {
  switch (compression) {
    case Compression::gzip: return std::string(kOciLayerType) + "+gzip";
    case Compression::zstd: return std::string(kOciLayerType) + "+zstd";
    case Compression::none: return kOciLayerType;
    default: throw std::invalid_argument("fixture: layer blobs can be compressed with gzip or zstd only");
  }
}

json descriptor(const std::string& media_type, const std::string& content) {
  return json{{"mediaType", media_type}, {"digest", dockerdiff::sha256_digest(content)}, {"size", content.size()}};
}

std::vector<RawEntry> oci_entries(const std::vector<FixtureImage>& images, const FixtureOptions& options) {
  std::map<std::string, std::string> blobs;  // hex -> content, written in name order like a directory walk
  const auto add_blob = [&](const std::string& content) {
    const auto digest = dockerdiff::sha256_digest(content);
    blobs.try_emplace(hex_of(digest), content);
    return digest;
  };
  const auto layer_type = layer_media_type(options.layer_compression);
  json index_manifests = json::array();
  json docker_manifest = json::array();
  json repositories = json::object();
  for (const auto& fixture_image : images) {
    const auto diff_ids = diff_ids_of(fixture_image.layers);
    json layers = json::array();
    json layer_paths = json::array();
    for (const auto& layer : fixture_image.layers) {
      const auto blob = compress_blob(layer, options.layer_compression);
      const auto digest = add_blob(blob);
      layers.push_back(descriptor(layer_type, blob));
      layer_paths.push_back("blobs/sha256/" + hex_of(digest));
    }
    const auto config = config_text(diff_ids);
    const auto config_digest = add_blob(config);
    const auto manifest = dump(json{{"schemaVersion", 2},
                                    {"mediaType", kOciManifestType},
                                    {"config", descriptor(kOciConfigType, config)},
                                    {"layers", layers}});
    add_blob(manifest);
    json top = descriptor(kOciManifestType, manifest);
    if (options.nested_index) {
      json platform_descriptor = top;
      platform_descriptor["platform"] = {{"architecture", "amd64"}, {"os", "linux"}};
      const auto nested = dump(json{{"schemaVersion", 2}, {"mediaType", kOciIndexType}, {"manifests", json::array({platform_descriptor})}});
      add_blob(nested);
      top = descriptor(kOciIndexType, nested);
    }
    if (fixture_image.tags.empty()) index_manifests.push_back(top);
    for (const auto& tag : fixture_image.tags) {
      json tagged = top;
      tagged["annotations"] = {{"io.containerd.image.name", tag}, {"org.opencontainers.image.ref.name", split_tag(tag).second}};
      index_manifests.push_back(tagged);
      const auto [repo, name] = split_tag(tag);
      repositories[repo][name] = hex_of(config_digest);
    }
    docker_manifest.push_back(
        {{"Config", "blobs/sha256/" + hex_of(config_digest)}, {"RepoTags", tags_json(fixture_image.tags)}, {"Layers", layer_paths}});
  }
  std::vector<RawEntry> out{dir_entry("blobs/"), dir_entry("blobs/sha256/")};
  for (const auto& [hex, content] : blobs) out.push_back(file_entry("blobs/sha256/" + hex, content));
  out.push_back(file_entry("index.json", dump(json{{"schemaVersion", 2}, {"mediaType", kOciIndexType}, {"manifests", index_manifests}})));
  if (options.layout == FixtureLayout::docker25) out.push_back(file_entry("manifest.json", dump(docker_manifest)));
  out.push_back(file_entry("oci-layout", dump(json{{"imageLayoutVersion", "1.0.0"}})));
  if (options.layout == FixtureLayout::docker25 && !repositories.empty()) {
    out.push_back(file_entry("repositories", dump(repositories)));
  }
  return out;
}

std::vector<RawEntry> fixture_entries(const std::vector<FixtureImage>& images, const FixtureOptions& options) {
  return options.layout == FixtureLayout::legacy ? legacy_entries(images, options) : oci_entries(images, options);
}

// ---------------------------------------------------------------------------------------------
// Reading image archives back.

const ReadEntry* find_entry(const ArchiveContents& contents, const std::string& path) {
  const auto it = contents.find(path);
  return it == contents.end() ? nullptr : &it->second;
}

json parse_document(const ArchiveContents& contents, const std::string& path) {
  const auto& text = resolved_content(contents, path);
  try {
    return json::parse(text);
  } catch (const json::exception& error) {
    throw std::runtime_error(path + ": invalid JSON: " + error.what());
  }
}

std::string normalized(const std::string& raw, const std::string& where) {
  const auto path = archive::normalize_path(raw);
  if (!path) throw std::runtime_error(where + ": path '" + raw + "' is absolute or leaves the archive");
  return *path;
}

std::vector<std::string> config_diff_ids(const ArchiveContents& contents, const std::string& config_path) {
  const auto config = parse_document(contents, config_path);
  std::vector<std::string> out;
  for (const auto& id : config.at("rootfs").at("diff_ids")) out.push_back(id.get<std::string>());
  return out;
}

std::vector<std::string> tags_of(const json& descriptor) {
  if (!descriptor.contains("annotations")) return {};
  const auto& annotations = descriptor.at("annotations");
  for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
    if (annotations.contains(key)) return {annotations.at(key).get<std::string>()};
  }
  return {};
}

void walk_index(const ArchiveContents& contents, const json& index, int depth, const std::vector<std::string>& inherited,
                std::vector<ArchiveImage>& images) {
  if (depth > kMaxIndexDepth) throw std::runtime_error("indexes nested too deep");
  for (const auto& item : index.at("manifests")) {
    const auto type = item.at("mediaType").get<std::string>();
    const auto digest = item.at("digest").get<std::string>();
    const auto path = "blobs/sha256/" + hex_of(digest);
    auto tags = tags_of(item);
    if (tags.empty()) tags = inherited;
    if (type == kOciIndexType || type == "application/vnd.docker.distribution.manifest.list.v2+json") {
      walk_index(contents, parse_document(contents, path), depth + 1, tags, images);
      continue;
    }
    if (item.contains("annotations") && item.at("annotations").contains("vnd.docker.reference.type")) continue;
    const auto known = std::find_if(images.begin(), images.end(), [&](const ArchiveImage& image) { return image.manifest_digest == digest; });
    if (known != images.end()) {
      for (const auto& tag : tags) {
        if (std::find(known->tags.begin(), known->tags.end(), tag) == known->tags.end()) known->tags.push_back(tag);
      }
      continue;
    }
    const auto manifest = parse_document(contents, path);
    ArchiveImage image;
    image.tags = tags;
    image.manifest_digest = digest;
    image.config_path = "blobs/sha256/" + hex_of(manifest.at("config").at("digest").get<std::string>());
    image.diff_ids = config_diff_ids(contents, image.config_path);
    for (const auto& layer : manifest.at("layers")) {
      const auto layer_digest = layer.at("digest").get<std::string>();
      image.layer_paths.push_back("blobs/sha256/" + hex_of(layer_digest));
      image.layer_digests.push_back(layer_digest);
    }
    images.push_back(std::move(image));
  }
}

std::vector<ArchiveImage> images_from_manifest(const ArchiveContents& contents) {
  std::vector<ArchiveImage> images;
  for (const auto& item : parse_document(contents, "manifest.json")) {
    ArchiveImage image;
    image.config_path = normalized(item.at("Config").get<std::string>(), "manifest.json");
    if (item.contains("RepoTags") && item.at("RepoTags").is_array()) {
      for (const auto& tag : item.at("RepoTags")) image.tags.push_back(tag.get<std::string>());
    }
    image.diff_ids = config_diff_ids(contents, image.config_path);
    for (const auto& layer : item.at("Layers")) {
      image.layer_paths.push_back(normalized(layer.get<std::string>(), "manifest.json"));
      image.layer_digests.emplace_back();
    }
    images.push_back(std::move(image));
  }
  return images;
}

std::vector<ArchiveImage> images_from_index(const ArchiveContents& contents) {
  std::vector<ArchiveImage> images;
  walk_index(contents, parse_document(contents, "index.json"), 0, {}, images);
  return images;
}

// Checks the layers of `images`; counts the ones with data into `checked`.
void check_images(const ArchiveContents& contents, const std::vector<ArchiveImage>& images, const std::string& source,
                  std::vector<std::string>& failures, std::size_t& checked) {
  for (const auto& image : images) {
    const auto name = source + " image " + (image.tags.empty() ? image.config_path : image.tags.front());
    if (image.diff_ids.size() != image.layer_paths.size()) {
      failures.push_back(name + ": config lists " + std::to_string(image.diff_ids.size()) + " diff_ids for " +
                         std::to_string(image.layer_paths.size()) + " layers");
      continue;
    }
    for (std::size_t i = 0; i < image.layer_paths.size(); ++i) {
      const auto& path = image.layer_paths[i];
      const auto where = name + " layer " + std::to_string(i) + " (" + path + ")";
      if (find_entry(contents, path) == nullptr) {
        failures.push_back(where + ": not in the archive");
        continue;
      }
      try {
        const auto& data = resolved_content(contents, path);
        if (data.empty()) continue;  // dropped: the host has it
        ++checked;
        if (!image.layer_digests[i].empty() && dockerdiff::sha256_digest(data) != image.layer_digests[i]) {
          failures.push_back(where + ": blob content does not match its digest " + image.layer_digests[i]);
        }
        const auto tar = decompress(data);
        const auto actual = dockerdiff::sha256_digest(tar);
        if (actual != image.diff_ids[i]) {
          failures.push_back(where + ": reads back as " + actual + ", config says " + image.diff_ids[i]);
        }
      } catch (const std::exception& error) {
        failures.push_back(where + ": " + error.what());
      }
    }
  }
}

}  // namespace

std::string make_layer_tar(const Files& files) {
  ArchiveWriter writer(Compression::none, false);
  for (const auto& [path, content] : files) writer.add(file_entry(path, content));
  return writer.finish();
}

std::string write_fixture(const std::vector<FixtureImage>& images, const FixtureOptions& options) {
  return write_raw_tar(fixture_entries(images, options), options.archive_compression);
}

void write_fixture_file(const fs::path& path, const std::vector<FixtureImage>& images, const FixtureOptions& options) {
  write_file(path, write_fixture(images, options));
}

void write_fixture_directory(const fs::path& path, const std::vector<FixtureImage>& images, const FixtureOptions& options) {
  if (options.layout == FixtureLayout::legacy) {
    throw std::invalid_argument("write_fixture_directory: an image layout directory is oci or docker25");
  }
  fs::create_directories(path);
  for (const auto& entry : fixture_entries(images, options)) {
    const auto target = path / normalized(entry.path, "fixture");
    switch (entry.type) {
      case EntryType::directory: fs::create_directories(target); break;
      case EntryType::regular: write_file(target, entry.content); break;
      case EntryType::symlink:
        fs::create_directories(target.parent_path());
        fs::create_symlink(entry.link_target, target);
        break;
      case EntryType::hardlink:
        fs::create_directories(target.parent_path());
        fs::create_hard_link(path / entry.link_target, target);
        break;
      case EntryType::other: throw std::invalid_argument("write_fixture_directory: unsupported entry " + entry.path);
    }
  }
}

std::string write_raw_tar(const std::vector<RawEntry>& entries, Compression compression) {
  ArchiveWriter writer(compression, false);
  for (const auto& entry : entries) writer.add(entry);
  return writer.finish();
}

ArchiveContents read_tar(const std::string& bytes) {
  ArchiveContents contents;
  ArchiveReader reader(bytes, false);
  while (archive_entry* header = reader.next()) {
    const auto path = clean_path(archive_entry_pathname(header));
    ReadEntry entry;
    if (const char* hardlink = archive_entry_hardlink(header)) {
      entry.type = EntryType::hardlink;
      entry.link_target = clean_path(hardlink);
    } else {
      switch (archive_entry_filetype(header)) {
        case AE_IFREG: entry.type = EntryType::regular; break;
        case AE_IFDIR: entry.type = EntryType::directory; break;
        case AE_IFLNK:
          entry.type = EntryType::symlink;
          entry.link_target = archive_entry_symlink(header) != nullptr ? archive_entry_symlink(header) : "";
          break;
        default: entry.type = EntryType::other; break;
      }
    }
    if (entry.type == EntryType::regular) entry.content = reader.data();
    contents[path] = std::move(entry);
  }
  return contents;
}

std::vector<std::string> entry_order(const std::string& bytes) {
  std::vector<std::string> order;
  ArchiveReader reader(bytes, false);
  while (archive_entry* header = reader.next()) order.push_back(clean_path(archive_entry_pathname(header)));
  return order;
}

const std::string& resolved_content(const ArchiveContents& contents, const std::string& path) {
  std::string current = path;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    const auto* entry = find_entry(contents, current);
    if (entry == nullptr) {
      throw std::runtime_error("'" + path + "' is not in the archive" + (current != path ? " (link to missing '" + current + "')" : ""));
    }
    switch (entry->type) {
      case EntryType::regular: return entry->content;
      case EntryType::hardlink: current = entry->link_target; break;
      case EntryType::symlink: {
        const auto target = archive::resolve_link_target(current, entry->link_target);
        if (!target) throw std::runtime_error("symlink '" + current + "' -> '" + entry->link_target + "' leaves the archive");
        current = *target;
        break;
      }
      default: throw std::runtime_error("'" + path + "' is not a regular file");
    }
  }
  throw std::runtime_error("link loop at '" + path + "'");
}

std::string decompress(const std::string& blob) {
  if (archive::detect_compression(std::string_view(blob).substr(0, 8)) == Compression::none) return blob;
  ArchiveReader reader(blob, true);
  if (reader.next() == nullptr) throw std::runtime_error("decompress: no data");
  return reader.data();
}

std::string diff_id_of(const std::string& layer_tar) { return dockerdiff::sha256_digest(layer_tar); }

std::vector<std::string> chain_ids_of(const std::vector<std::string>& layer_tars) {
  return dockerdiff::chain_ids(diff_ids_of(layer_tars));
}

std::vector<ArchiveImage> list_archive_images(const ArchiveContents& contents) {
  return contents.contains("manifest.json") ? images_from_manifest(contents) : images_from_index(contents);
}

std::vector<std::string> check_layers_read_back(const std::string& archive_bytes, std::size_t* checked) {
  std::vector<std::string> failures;
  std::size_t count = 0;
  try {
    const auto contents = read_tar(archive_bytes);
    if (contents.contains("manifest.json")) {
      check_images(contents, images_from_manifest(contents), "manifest.json", failures, count);
      if (contents.contains("index.json")) {
        // Docker 25+: the OCI side describes the same images and must read back just as well.
        std::size_t oci_checked = 0;
        check_images(contents, images_from_index(contents), "index.json", failures, oci_checked);
      }
    } else if (contents.contains("index.json")) {
      check_images(contents, images_from_index(contents), "index.json", failures, count);
    } else {
      failures.emplace_back("neither manifest.json nor index.json in the archive");
    }
  } catch (const std::exception& error) {
    failures.push_back(std::string("cannot read the archive: ") + error.what());
  }
  if (checked != nullptr) *checked = count;
  return failures;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, const std::string& content) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot create " + path.string());
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

const std::string& sample_base_layer() {
  static const std::string layer = make_layer_tar({{"etc/os-release", "ID=fixture\nVERSION_ID=1\n"}});
  return layer;
}

const std::string& sample_app_layer() {
  static const std::string layer = make_layer_tar({{"app/run.sh", "#!/bin/sh\n" + std::string(20000, 'a')}});
  return layer;
}

}  // namespace dockerdiff::testing
