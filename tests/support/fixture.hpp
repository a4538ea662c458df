#pragma once

// A small fixture writer on libarchive: builds image archives in every layout in memory, so the
// tests need no engine and no files they did not make. Also reads archives back for assertions.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/archive/tar_entry.hpp"

namespace dockerdiff::testing {

using Files = std::vector<std::pair<std::string, std::string>>;  // path -> content

// An uncompressed layer tar holding these files (deterministic bytes).
std::string make_layer_tar(const Files& files);

// Two small layers shared by the CLI, hostile-input and verify tests (the truncation offsets of the
// hostile-input corpus are computed from these bytes).
const std::string& sample_base_layer();  // etc/os-release
const std::string& sample_app_layer();   // app/run.sh, 20 kB

struct FixtureImage {
  std::vector<std::string> tags;
  std::vector<std::string> layers;  // uncompressed layer tars, bottom first
};

enum class FixtureLayout { legacy, docker25, oci };

struct FixtureOptions {
  FixtureLayout layout = FixtureLayout::legacy;
  archive::Compression archive_compression = archive::Compression::none;  // the whole archive
  archive::Compression layer_compression = archive::Compression::none;    // oci: gzip / zstd layer blobs
  // legacy: a diff_id seen before is stored once and later copies are links to it (docker save does this)
  bool link_repeated_layers = true;
  bool use_hardlinks = false;  // links as tar hard links instead of symlinks
  bool nested_index = false;   // oci: index.json -> nested image index -> manifests
};

// The whole archive's bytes.
std::string write_fixture(const std::vector<FixtureImage>& images, const FixtureOptions& options = {});
void write_fixture_file(const std::filesystem::path& path, const std::vector<FixtureImage>& images,
                        const FixtureOptions& options = {});
// An OCI image layout directory (layout must be oci or docker25).
void write_fixture_directory(const std::filesystem::path& path, const std::vector<FixtureImage>& images,
                             const FixtureOptions& options = {});

// A tar of exactly these entries, in order (for hostile and hand-made archives).
struct RawEntry {
  std::string path;
  std::string content;
  archive::EntryType type = archive::EntryType::regular;
  std::string link_target;
};
std::string write_raw_tar(const std::vector<RawEntry>& entries,
                          archive::Compression compression = archive::Compression::none);

// Reads any tar (any supported compression) back: path -> entry.
struct ReadEntry {
  archive::EntryType type = archive::EntryType::regular;
  std::string content;
  std::string link_target;
};
using ArchiveContents = std::map<std::string, ReadEntry>;
ArchiveContents read_tar(const std::string& bytes);
std::vector<std::string> entry_order(const std::string& bytes);  // paths in stream order
// The bytes a path holds after following symlinks and hard links inside the archive.
const std::string& resolved_content(const ArchiveContents& contents, const std::string& path);
// `data` as one gzip / zstd blob, compressed by libarchive (unchanged for none).
std::string compress_blob(const std::string& data, archive::Compression compression);
// Decompresses a gzip / zstd blob (returns the input unchanged when it is not compressed).
std::string decompress(const std::string& blob);

std::string diff_id_of(const std::string& layer_tar);  // "sha256:..."
std::vector<std::string> chain_ids_of(const std::vector<std::string>& layer_tars);

// For every image of an output archive (any layout): each layer that is not empty reads back
// (links followed, decompressed) with the diff_id its config lists. Returns a description of each
// failure; empty when all is well. Also counts the layers that were checked.
std::vector<std::string> check_layers_read_back(const std::string& archive_bytes, std::size_t* checked = nullptr);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

// The images an archive describes, read independently of the production reader: from manifest.json
// when present, otherwise by walking index.json (nested indexes too). Paths are normalized; throws
// std::runtime_error when a document is missing or malformed.
struct ArchiveImage {
  std::vector<std::string> tags;
  std::string config_path;
  std::string manifest_digest;             // OCI only
  std::vector<std::string> diff_ids;       // from the config
  std::vector<std::string> layer_paths;    // where each layer's data is named
  std::vector<std::string> layer_digests;  // OCI: the descriptors' digests; empty strings from manifest.json
};
std::vector<ArchiveImage> list_archive_images(const ArchiveContents& contents);

}  // namespace dockerdiff::testing
