#include "support/hostile.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "dockerdiff/util/digest.hpp"
#include "support/fixture.hpp"

namespace dockerdiff::testing {

namespace {

using archive::Compression;
using archive::EntryType;
using nlohmann::json;
using Entries = std::vector<RawEntry>;

constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";
constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kZstdLayerType = "application/vnd.oci.image.layer.v1.tar+zstd";
constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

// Small layers keep the corpus small.
const std::string& base_layer() {
  static const std::string layer = make_layer_tar({{"etc/os-release", "ID=hostile-base\n"}});
  return layer;
}
const std::string& app_layer() {
  static const std::string layer = make_layer_tar({{"app/run.sh", "#!/bin/sh\necho hostile\n"}});
  return layer;
}

FixtureImage app_image() { return {{"app:1"}, {base_layer(), app_layer()}}; }

FixtureOptions options_for(FixtureLayout layout) {
  FixtureOptions options;
  options.layout = layout;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Editing archives entry by entry.

Entries entries_of(const std::string& tar) {
  const auto contents = read_tar(tar);
  Entries out;
  for (const auto& path : entry_order(tar)) {
    const auto& entry = contents.at(path);
    out.push_back(RawEntry{path, entry.content, entry.type, entry.link_target});
  }
  return out;
}

Entries legacy_app() { return entries_of(write_fixture({app_image()}, options_for(FixtureLayout::legacy))); }
Entries oci_app() { return entries_of(write_fixture({app_image()}, options_for(FixtureLayout::oci))); }

RawEntry& entry_at(Entries& entries, const std::string& path) {
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const RawEntry& e) { return e.path == path; });
  if (it == entries.end()) throw std::runtime_error("hostile corpus: no entry " + path);
  return *it;
}

json json_at(Entries& entries, const std::string& path) { return json::parse(entry_at(entries, path).content); }

void edit_json(Entries& entries, const std::string& path, const std::function<void(json&)>& edit) {
  auto document = json_at(entries, path);
  edit(document);
  entry_at(entries, path).content = document.dump();
}

std::string blob_path(const std::string& digest) { return "blobs/sha256/" + digest.substr(std::string("sha256:").size()); }

std::string put_blob(Entries& entries, const std::string& content) {
  const auto digest = sha256_digest(content);
  const auto path = blob_path(digest);
  if (std::none_of(entries.begin(), entries.end(), [&](const RawEntry& e) { return e.path == path; })) {
    entries.push_back(RawEntry{path, content, EntryType::regular, {}});
  }
  return digest;
}

std::string legacy_layer_path(Entries& entries, std::size_t i) {
  return json_at(entries, "manifest.json")[0]["Layers"][i].get<std::string>();
}

std::string oci_manifest_path(Entries& entries) {
  return blob_path(json_at(entries, "index.json")["manifests"][0]["digest"].get<std::string>());
}
std::string oci_config_path(Entries& entries) {
  return blob_path(json_at(entries, oci_manifest_path(entries))["config"]["digest"].get<std::string>());
}

// Points the first image's top layer at `path` (legacy).
void retarget_top_layer(Entries& entries, const std::string& path) {
  edit_json(entries, "manifest.json", [&](json& m) { m[0]["Layers"][1] = path; });
}

std::string tar(const Entries& entries, Compression compression = Compression::none) { return write_raw_tar(entries, compression); }

// An archive whose only documents are manifest.json and one config, with these contents.
std::string documents_only(const std::string& manifest, const std::string& config, Compression compression) {
  return tar({{"c.json", config, EntryType::regular, {}},
              {"l/layer.tar", app_layer(), EntryType::regular, {}},
              {"manifest.json", manifest, EntryType::regular, {}}},
             compression);
}

std::string config_with(const std::vector<std::string>& diff_ids) {
  return json{{"architecture", "amd64"}, {"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}.dump();
}

// A manifest.json of `images` items, each with `layers` layers, all the one layer l/layer.tar.
std::string many_images_manifest(std::size_t images, std::size_t layers) {
  std::string layer_list = "[";
  for (std::size_t i = 0; i < layers; ++i) layer_list += std::string(i == 0 ? "" : ",") + "\"l/layer.tar\"";
  layer_list += "]";
  std::string out = "[";
  for (std::size_t i = 0; i < images; ++i) {
    out += std::string(i == 0 ? "" : ",") + "{\"Config\":\"c.json\",\"RepoTags\":[\"many:" + std::to_string(i) + "\"],\"Layers\":" +
           layer_list + "}";
  }
  return out + "]";
}

// An OCI archive whose index.json reaches its one image through `levels` nested indexes, each
// listing the next `fan_out` times.
std::string nested_indexes(std::size_t levels, std::size_t fan_out) {
  auto entries = oci_app();
  auto top = json_at(entries, "index.json")["manifests"][0];
  top.erase("annotations");
  for (std::size_t level = 0; level < levels; ++level) {
    const auto nested =
        json{{"schemaVersion", 2}, {"mediaType", kIndexType}, {"manifests", json(std::vector<json>(fan_out, top))}}.dump();
    top = json{{"mediaType", kIndexType}, {"digest", put_blob(entries, nested)}, {"size", nested.size()}};
  }
  edit_json(entries, "index.json", [&](json& index) { index["manifests"] = json::array({top}); });
  return tar(entries, fan_out > 1 ? Compression::gzip : Compression::none);
}

la_ssize_t append_bytes(struct archive*, void* out, const void* data, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

// A GNU sparse file (pax format 1.0): its data is not where the header's size says.
std::string sparse_archive() {
  auto entries = legacy_app();
  std::string bytes;
  struct archive* writer = archive_write_new();
  archive_write_set_format_pax_restricted(writer);
  archive_write_set_bytes_in_last_block(writer, 1);
  archive_write_open(writer, &bytes, nullptr, append_bytes, nullptr);
  const auto add = [&](const std::string& path, const std::string& content, bool sparse) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(sparse ? 1 << 20 : content.size()));
    if (sparse) archive_entry_sparse_add_entry(entry.get(), 0, static_cast<la_int64_t>(content.size()));
    if (archive_write_header(writer, entry.get()) != ARCHIVE_OK) throw std::runtime_error("sparse header");
    if (!content.empty() && archive_write_data(writer, content.data(), content.size()) < 0) {
      throw std::runtime_error("sparse data");
    }
  };
  add("sparse.bin", std::string(512, 's'), true);
  for (const auto& entry : entries) {
    if (entry.type == EntryType::regular) add(entry.path, entry.content, false);
  }
  archive_write_close(writer);
  archive_write_free(writer);
  return bytes;
}

// Bytes through libarchive's gzip filter (no timestamp: the same bytes every time).
std::string gzip(const std::string& data) {
  std::string bytes;
  struct archive* writer = archive_write_new();
  archive_write_set_format_raw(writer);
  archive_write_add_filter_gzip(writer);
  archive_write_set_filter_option(writer, "gzip", "timestamp", nullptr);
  archive_write_set_bytes_in_last_block(writer, 1);
  archive_write_open(writer, &bytes, nullptr, append_bytes, nullptr);
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
  archive_entry_set_pathname(entry.get(), "data");
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  if (archive_write_header(writer, entry.get()) != ARCHIVE_OK || archive_write_data(writer, data.data(), data.size()) < 0) {
    throw std::runtime_error("hostile corpus: gzip failed");
  }
  archive_write_close(writer);
  archive_write_free(writer);
  return bytes;
}

std::string flip_byte(std::string bytes, std::size_t at) {
  bytes.at(at) = static_cast<char>(static_cast<unsigned char>(bytes.at(at)) ^ 0x20U);
  return bytes;
}

}  // namespace

std::string zstd_zero_bomb(const std::string& prefix, std::uint64_t zeros) {
  constexpr std::uint32_t kBlock = 128U << 10;
  if (prefix.size() > kBlock) throw std::invalid_argument("zstd_zero_bomb: prefix over 128 KiB");
  std::string out("\x28\xb5\x2f\xfd", 4);  // magic
  out += '\x00';                           // no content size, not single segment, no checksum, no dictionary
  out += '\x38';                           // window 2^(10+7) = 128 KiB
  const auto block = [&](bool last, std::uint32_t type, std::uint32_t size) {
    const std::uint32_t header = (last ? 1U : 0U) | (type << 1) | (size << 3);
    out += static_cast<char>(header & 0xffU);
    out += static_cast<char>((header >> 8) & 0xffU);
    out += static_cast<char>((header >> 16) & 0xffU);
  };
  const auto blocks = (zeros + kBlock - 1) / kBlock;
  if (!prefix.empty()) {
    block(blocks == 0, 0, static_cast<std::uint32_t>(prefix.size()));  // raw
    out += prefix;
  }
  for (std::uint64_t i = 0; i < blocks; ++i) {
    const auto size = static_cast<std::uint32_t>(std::min<std::uint64_t>(kBlock, zeros - i * kBlock));
    block(i + 1 == blocks, 1, size);  // RLE: one byte, repeated `size` times
    out += '\0';
  }
  return out;
}

std::string ustar_header(const std::string& name, std::uint64_t size) {
  std::string header(512, '\0');
  const auto put = [&](std::size_t at, std::size_t width, const std::string& text) {
    std::copy_n(text.begin(), std::min(width, text.size()), header.begin() + static_cast<std::ptrdiff_t>(at));
  };
  const auto octal = [](std::uint64_t value, int digits) {
    char text[32];
    std::snprintf(text, sizeof text, "%0*llo", digits, static_cast<unsigned long long>(value));
    return std::string(text);
  };
  put(0, 100, name);
  put(100, 8, octal(0644, 7));
  put(108, 8, octal(0, 7));
  put(116, 8, octal(0, 7));
  put(124, 12, octal(size, 11));
  put(136, 12, octal(0, 11));
  put(148, 8, "        ");
  header[156] = '0';
  put(257, 6, std::string("ustar\0", 6));
  put(263, 2, "00");
  unsigned sum = 0;
  for (const char c : header) sum += static_cast<unsigned char>(c);
  put(148, 8, octal(sum, 6) + std::string("\0 ", 2));
  return header;
}

std::string hostile_base_archive() { return write_fixture({{{"base:1"}, {base_layer()}}}); }
std::string hostile_good_archive() { return write_fixture({app_image()}); }

std::vector<std::pair<std::string, std::string>> hostile_archives() {
  std::vector<std::pair<std::string, std::string>> out;
  const auto add = [&](const std::string& name, const std::string& bytes) { out.emplace_back(name, bytes); };

  // --- names that point outside the archive ---
  {
    auto entries = legacy_app();
    entries.insert(entries.begin(), RawEntry{"../evil.txt", "x", EntryType::regular, {}});
    add("path-dotdot.tar", tar(entries));
  }
  {
    auto entries = legacy_app();
    entries.insert(entries.begin(), RawEntry{"/etc/evil.txt", "x", EntryType::regular, {}});
    add("path-absolute.tar", tar(entries));
  }
  {
    auto entries = legacy_app();
    entries.insert(entries.begin(), RawEntry{"a/../../evil.txt", "x", EntryType::regular, {}});
    add("path-dotdot-inside.tar", tar(entries));
  }
  {
    // A terminal escape and a newline in a name: the error must stay one printable line.
    auto entries = legacy_app();
    entries.insert(entries.begin(), RawEntry{"../\x1b[31mred\nline", "x", EntryType::regular, {}});
    add("path-control-characters.tar", tar(entries));
  }
  {
    auto entries = legacy_app();
    entries.push_back(RawEntry{std::string(5000, 'n'), "x", EntryType::regular, {}});
    add("name-too-long.tar", tar(entries));
  }
  {
    // No image uses it, and still: nothing in an archive may point out of it.
    auto entries = legacy_app();
    entries.push_back(RawEntry{"evil", {}, EntryType::symlink, "../../etc/passwd"});
    add("symlink-escape-unused.tar", tar(entries));
  }
  {
    auto entries = legacy_app();
    retarget_top_layer(entries, "a/layer.tar");
    entries.push_back(RawEntry{"a/layer.tar", {}, EntryType::symlink, "/etc/passwd"});
    add("symlink-absolute.tar", tar(entries));
  }
  {
    auto entries = legacy_app();
    entries.insert(entries.begin(), RawEntry{"evil/layer.tar", {}, EntryType::hardlink, "../../etc/passwd"});
    add("hardlink-escape.tar", tar(entries));
  }
  {
    auto entries = legacy_app();
    retarget_top_layer(entries, "../x/layer.tar");
    add("manifest-layer-escape.tar", tar(entries));
  }
  {
    auto entries = legacy_app();
    edit_json(entries, "manifest.json", [](json& m) { m[0]["Config"] = "/etc/passwd"; });
    add("manifest-config-absolute.tar", tar(entries));
  }
  {
    auto entries = oci_app();
    edit_json(entries, "index.json", [](json& i) { i["manifests"][0]["digest"] = "sha256:../../../etc/passwd"; });
    add("index-digest-traversal.tar", tar(entries));
  }

  // --- links ---
  {
    auto entries = legacy_app();
    retarget_top_layer(entries, "a/layer.tar");
    entries.push_back(RawEntry{"a/layer.tar", {}, EntryType::symlink, "../b/layer.tar"});
    entries.push_back(RawEntry{"b/layer.tar", {}, EntryType::symlink, "../a/layer.tar"});
    add("symlink-loop.tar", tar(entries));
  }
  {
    // 41 links before the file: one more than Linux follows in a lookup.
    auto entries = legacy_app();
    const auto real = legacy_layer_path(entries, 1);
    retarget_top_layer(entries, "chain/0");
    for (int i = 0; i < 41; ++i) {
      entries.push_back(RawEntry{"chain/" + std::to_string(i), {}, EntryType::symlink, i == 40 ? "../" + real : std::to_string(i + 1)});
    }
    add("link-chain.tar", tar(entries));
  }

  // --- JSON ---
  add("json-too-big.tar.gz", documents_only("[" + std::string(16 * kMiB, ' ') + "]", config_with({}), Compression::gzip));
  add("json-too-deep.tar", documents_only(std::string(100, '[') + std::string(100, ']'), config_with({}), Compression::none));
  {
    std::string values = "[0";
    for (int i = 0; i < 2'000'000; ++i) values += ",0";
    add("json-too-many-values.tar.gz", documents_only(values + "]", config_with({}), Compression::gzip));
  }

  // --- counts ---
  add("too-many-images.tar.gz", documents_only(many_images_manifest(10'001, 0), config_with({}), Compression::gzip));
  add("too-many-layers.tar.gz",
      documents_only(many_images_manifest(1, 1001), config_with(std::vector<std::string>(1001, diff_id_of(app_layer()))),
                     Compression::gzip));
  add("too-many-layers-total.tar.gz",
      documents_only(many_images_manifest(101, 1000), config_with(std::vector<std::string>(1000, diff_id_of(app_layer()))),
                     Compression::gzip));
  add("index-fan-out.tar.gz", nested_indexes(6, 30));
  add("index-too-deep.tar", nested_indexes(12, 1));

  // --- decompression ---
  // 35 KiB that decompress to a tar entry claiming 4 GiB, and 1 GiB + 64 MiB of zeros of it.
  add("bomb.tar.zst", zstd_zero_bomb(ustar_header("zeros", 4 * kGiB), kGiB + 64 * kMiB));
  // The tar header claims 4 GiB; the stream ends after 1 MiB.
  add("claims-4g.tar.gz", gzip(ustar_header("zeros", 4 * kGiB) + std::string(kMiB, '\0')));
  {
    // A plain OCI archive whose layer blob is a zstd bomb: only verify decompresses blobs.
    auto entries = oci_app();
    const auto bomb = zstd_zero_bomb({}, kGiB + 64 * kMiB);
    const auto manifest_path = oci_manifest_path(entries);
    auto manifest = json_at(entries, manifest_path);
    manifest["layers"][1] = {{"mediaType", kZstdLayerType}, {"digest", put_blob(entries, bomb)}, {"size", bomb.size()}};
    const auto manifest_text = manifest.dump();
    const auto digest = put_blob(entries, manifest_text);
    edit_json(entries, "index.json", [&](json& index) {
      index["manifests"][0]["digest"] = digest;
      index["manifests"][0]["size"] = manifest_text.size();
    });
    std::erase_if(entries, [&](const RawEntry& e) { return e.path == manifest_path || e.path == blob_path(diff_id_of(app_layer())); });
    add("blob-bomb.tar", tar(entries));
  }

  // --- damaged data ---
  {
    const auto archive = hostile_good_archive();
    add("truncated.tar", archive.substr(0, archive.find(app_layer()) + app_layer().size() / 2));
  }
  {
    // The layer's bytes no longer match its diff_id ("hostile" -> "hOstile").
    auto entries = legacy_app();
    auto& layer = entry_at(entries, legacy_layer_path(entries, 1)).content;
    layer = flip_byte(layer, layer.find("hostile") + 1);
    add("layer-digest-mismatch.tar", tar(entries));
    add("layer-digest-mismatch.tar.gz", tar(entries, Compression::gzip));
  }
  {
    auto entries = oci_app();
    entry_at(entries, oci_config_path(entries)).content += "\n";
    add("config-digest-mismatch.tar", tar(entries));
  }
  add("sparse-entry.tar", sparse_archive());
  add("empty.tar", "");
  {
    std::string noise(4096, '\0');
    std::uint32_t state = 20240229U;
    for (auto& c : noise) {
      state = state * 1664525U + 1013904223U;
      c = static_cast<char>(state >> 24);
    }
    add("not-a-tar.tar", noise);
  }
  {
    // index.json names a manifest the archive does not hold.
    auto entries = oci_app();
    edit_json(entries, "index.json", [&](json& i) {
      i["manifests"][0]["mediaType"] = kManifestType;
      i["manifests"][0]["digest"] = "sha256:" + std::string(64, '0');
    });
    add("index-missing-manifest.tar", tar(entries));
  }
  return out;
}

}  // namespace dockerdiff::testing
