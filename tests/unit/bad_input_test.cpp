// Bad input: every hostile archive gives exit status 1 and one line naming the file and the
// problem; nothing is left behind (no output, no temporary file) and the input is unchanged.
//
// A table of cases: each builds a hostile input in a fresh directory (from a valid fixture, or from
// hand-made tar entries), then runs the real executable with it as the TARGET of `slim`, as the BASE
// of `slim`, and through `inspect`, wherever that role reads the problem.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dockerdiff/util/digest.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
using dockerdiff::archive::Compression;
using dockerdiff::archive::EntryType;
using dockerdiff::sha256_digest;
using nlohmann::json;
namespace fx = dockerdiff::testing;

// ---------------------------------------------------------------------------------------------
// Running the executable.

using fx::RunResult;
using fx::shell_quote;
using fx::snapshot;
using fx::temporary_files;

// A run that takes longer than this is killed (exit status 124): a hang is a failure, not a stuck suite.
constexpr int kTimeoutSeconds = 15;

// Runs `dockerdiff ARGS` in `cwd` (support/process.hpp), with these environment additions and stdin.
RunResult run_tool(const fs::path& cwd, const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                   const fs::path& stdin_path = "/dev/null") {
  fx::RunOptions options;
  options.cwd = cwd;
  options.env = env;
  options.stdin_path = stdin_path;
  options.timeout_seconds = kTimeoutSeconds;
  return fx::run_program(DOCKERDIFF_BIN, args, options);
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool contains_nocase(const std::string& text, const std::string& part) {
  return lower(text).find(lower(part)) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// The images.

std::string pseudo_random_bytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(generator() & 0xffU);
  return out;
}

// A layer that no compressor can shrink: deflate and zstd store it as it is.
const std::string& incompressible_layer() {
  static const std::string layer = fx::make_layer_tar({{"app/blob.bin", pseudo_random_bytes(std::size_t{1} << 20, 20240229U)}});
  return layer;
}

fx::FixtureImage base_image() { return {{"base:1"}, {fx::sample_base_layer()}}; }
fx::FixtureImage app_image() { return {{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}; }

fx::FixtureOptions layout_options(fx::FixtureLayout layout, Compression compression = Compression::none) {
  fx::FixtureOptions options;
  options.layout = layout;
  options.archive_compression = compression;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Editing archives entry by entry.

using Entries = std::vector<fx::RawEntry>;

// The entries of a tar, in stream order, ready to be edited and written again with write_raw_tar.
Entries entries_of(const std::string& tar) {
  const auto contents = fx::read_tar(tar);
  Entries out;
  for (const auto& path : fx::entry_order(tar)) {
    const auto& entry = contents.at(path);
    out.push_back(fx::RawEntry{path, entry.content, entry.type, entry.link_target});
  }
  return out;
}

fx::RawEntry& entry_at(Entries& entries, const std::string& path) {
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const fx::RawEntry& e) { return e.path == path; });
  if (it == entries.end()) throw std::runtime_error("fixture has no entry " + path);
  return *it;
}

void erase_entry(Entries& entries, const std::string& path) {
  const auto before = entries.size();
  std::erase_if(entries, [&](const fx::RawEntry& e) { return e.path == path; });
  if (entries.size() == before) throw std::runtime_error("fixture has no entry " + path);
}

json json_at(Entries& entries, const std::string& path) { return json::parse(entry_at(entries, path).content); }

void edit_json(Entries& entries, const std::string& path, const std::function<void(json&)>& edit) {
  auto document = json_at(entries, path);
  edit(document);
  entry_at(entries, path).content = document.dump();
}

std::string blob_path(const std::string& digest) { return "blobs/sha256/" + digest.substr(std::string("sha256:").size()); }

// Adds a blob (if it is not there yet) and returns its digest.
std::string put_blob(Entries& entries, const std::string& content) {
  const auto digest = sha256_digest(content);
  const auto path = blob_path(digest);
  if (std::none_of(entries.begin(), entries.end(), [&](const fx::RawEntry& e) { return e.path == path; })) {
    entries.push_back(fx::RawEntry{path, content, EntryType::regular, {}});
  }
  return digest;
}

Entries legacy_app() { return entries_of(fx::write_fixture({app_image()}, layout_options(fx::FixtureLayout::legacy))); }
Entries oci_app() { return entries_of(fx::write_fixture({app_image()}, layout_options(fx::FixtureLayout::oci))); }

// Legacy: manifest.json's first image.
std::string legacy_config_path(Entries& entries) { return json_at(entries, "manifest.json")[0]["Config"].get<std::string>(); }
std::string legacy_layer_path(Entries& entries, std::size_t i) {
  return json_at(entries, "manifest.json")[0]["Layers"][i].get<std::string>();
}

// OCI: the first image of index.json, its manifest and config blobs.
std::string oci_manifest_path(Entries& entries) {
  return blob_path(json_at(entries, "index.json")["manifests"][0]["digest"].get<std::string>());
}
std::string oci_config_path(Entries& entries) {
  return blob_path(json_at(entries, oci_manifest_path(entries))["config"]["digest"].get<std::string>());
}

// Edits the first image's manifest and config, then writes them back as new blobs with correct
// digests all the way up to index.json (the old blobs stay, as unreferenced files).
void rewrite_oci_image(Entries& entries, const std::function<void(json& manifest, json& config)>& edit) {
  auto manifest = json_at(entries, oci_manifest_path(entries));
  auto config = json_at(entries, oci_config_path(entries));
  edit(manifest, config);
  const auto config_text = config.dump();
  manifest["config"]["digest"] = put_blob(entries, config_text);
  manifest["config"]["size"] = config_text.size();
  const auto manifest_text = manifest.dump();
  const auto manifest_digest = put_blob(entries, manifest_text);
  edit_json(entries, "index.json", [&](json& index) {
    index["manifests"][0]["digest"] = manifest_digest;
    index["manifests"][0]["size"] = manifest_text.size();
  });
}

std::string write_entries(const Entries& entries) { return fx::write_raw_tar(entries); }

std::string flip_bytes(std::string bytes, std::size_t at, std::size_t count) {
  for (std::size_t i = at; i < at + count && i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(static_cast<unsigned char>(bytes[i]) ^ 0x5AU);
  }
  return bytes;
}

std::size_t find_or_throw(const std::string& haystack, const std::string& needle) {
  const auto at = haystack.find(needle);
  if (at == std::string::npos) throw std::runtime_error("fixture bytes not found in the archive");
  return at;
}

// "[[[...]]]": valid JSON, nested `depth` deep.
std::string deeply_nested_list(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// ---------------------------------------------------------------------------------------------
// The cases.

enum Role : unsigned { kAsTarget = 1U, kAsBase = 2U, kInspect = 4U, kAllRoles = 7U };

struct BadCase {
  BadCase(std::string name_, std::string file_, std::function<void(const fs::path&)> make_, std::vector<std::string> must_,
          std::vector<std::string> any_of_ = {}, unsigned roles_ = kAllRoles, std::vector<std::vector<std::string>> commands_ = {})
      : name(std::move(name_)),
        file(std::move(file_)),
        make(std::move(make_)),
        must(std::move(must_)),
        any_of(std::move(any_of_)),
        roles(roles_),
        commands(std::move(commands_)) {}

  std::string name;
  std::string file;                                 // the hostile input as named on the command line
  std::function<void(const fs::path& work)> make;   // writes it (and anything else it needs) into work
  std::vector<std::string> must;                    // all appear in the message (any case)
  std::vector<std::string> any_of;                  // at least one appears, when given
  unsigned roles = kAllRoles;
  std::vector<std::vector<std::string>> commands;   // when given: run these instead of the roles
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

// Writes `bytes` as work/FILE.
std::function<void(const fs::path&)> writes(const std::string& file, std::function<std::string()> bytes) {
  return [file, bytes](const fs::path& work) { fx::write_file(work / file, bytes()); };
}

std::vector<BadCase> bad_cases() {
  const std::string bad = "bad.tar";
  const std::vector<std::string> truncated{"truncated"};
  const std::vector<std::string> corrupt{"corrupt", "decompression failed", "damaged", "checksum", "crc", "truncated",
                                         "does not match"};
  std::vector<BadCase> cases;

  // --- the archive container itself ---
  cases.push_back({"TruncatedPlainTarInsideLayerData", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({app_image()});
                     const auto at = find_or_throw(archive, fx::sample_app_layer());
                     return archive.substr(0, at + fx::sample_app_layer().size() / 2);
                   }),
                   {bad}, truncated});
  cases.push_back({"TruncatedPlainTarInsideHeader", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({app_image()});
                     const auto end_of_data = find_or_throw(archive, fx::sample_app_layer()) + fx::sample_app_layer().size();
                     const auto next_header = (end_of_data + 511) / 512 * 512;
                     return archive.substr(0, next_header + 100);
                   }),
                   {bad}, truncated});
  cases.push_back({"TruncatedPlainTarInsideManifest", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({app_image()});
                     auto entries = legacy_app();
                     const auto& manifest = entry_at(entries, "manifest.json").content;
                     return archive.substr(0, find_or_throw(archive, manifest) + manifest.size() / 2);
                   }),
                   {bad}, truncated});
  cases.push_back({"TruncatedGzipArchive", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({app_image()}, layout_options(fx::FixtureLayout::legacy, Compression::gzip));
                     return archive.substr(0, archive.size() / 2);
                   }),
                   {bad}, truncated});
  cases.push_back({"TruncatedZstdArchive", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({app_image()}, layout_options(fx::FixtureLayout::legacy, Compression::zstd));
                     return archive.substr(0, archive.size() / 2);
                   }),
                   {bad}, truncated});
  cases.push_back({"CorruptGzipBytesInTheMiddle", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({app_image()}, layout_options(fx::FixtureLayout::legacy, Compression::gzip));
                     return flip_bytes(archive, archive.size() / 2, 64);
                   }),
                   {bad}, corrupt});
  // Deflate stores incompressible data as it is: only the gzip trailer's CRC-32 notices the damage.
  cases.push_back({"CorruptGzipBytesInsideStoredLayerData", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), incompressible_layer()}}},
                                                            layout_options(fx::FixtureLayout::legacy, Compression::gzip));
                     return flip_bytes(archive, archive.size() / 2, 16);
                   }),
                   {bad}, corrupt});
  cases.push_back({"CorruptZstdBytesInTheMiddle", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({app_image()}, layout_options(fx::FixtureLayout::legacy, Compression::zstd));
                     return flip_bytes(archive, archive.size() / 2, 64);
                   }),
                   {bad}, corrupt});
  // zstd stores incompressible data in raw blocks, and a frame without a checksum (libarchive writes
  // none) cannot notice the damage; but a slim archive must not carry a kept layer whose content is
  // not what its diff_id says. Only the run that copies that layer can be held to it.
  cases.push_back({"CorruptZstdBytesInsideRawLayerData", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), incompressible_layer()}}},
                                                            layout_options(fx::FixtureLayout::legacy, Compression::zstd));
                     return flip_bytes(archive, archive.size() / 2, 16);
                   }),
                   {bad}, corrupt, kAsTarget});
  // One flipped bit in a header: its checksum no longer matches (libarchive: "Damaged tar archive").
  cases.push_back({"DamagedTarHeader", bad, writes(bad, [] {
                     const auto archive = fx::write_fixture({app_image()});
                     const auto end_of_data = find_or_throw(archive, fx::sample_app_layer()) + fx::sample_app_layer().size();
                     const auto next_header = (end_of_data + 511) / 512 * 512;
                     return flip_bytes(archive, next_header + 5, 1);
                   }),
                   {bad}, {"damaged", "corrupt", "checksum", "not a readable tar"}});
  cases.push_back({"RandomBytesNotATar", bad, writes(bad, [] { return pseudo_random_bytes(4096, 7U); }),
                   {bad}, {"not a readable tar", "unrecognized archive format", "not an image archive"}});
  cases.push_back({"EmptyFile", bad, writes(bad, [] { return std::string(); }), {bad, "empty"}, {}});
  cases.push_back({"TarWithoutManifestOrIndex", bad, writes(bad, [] {
                     return fx::write_raw_tar({{"hello.txt", "hello\n", EntryType::regular, {}}});
                   }),
                   {bad, "neither manifest.json nor index.json"}, {}});
  cases.push_back({"TarEntryWithDotDotPath", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entries.insert(entries.begin(), fx::RawEntry{"../evil.txt", "x", EntryType::regular, {}});
                     return write_entries(entries);
                   }),
                   {bad, "../evil.txt"}, {"'..' path", "leaves the archive"}});
  cases.push_back({"TarEntryWithAbsolutePath", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entries.insert(entries.begin(), fx::RawEntry{"/etc/evil.txt", "x", EntryType::regular, {}});
                     return write_entries(entries);
                   }),
                   {bad, "/etc/evil.txt", "absolute"}, {}});
  cases.push_back({"TarHardLinkLeavingTheArchive", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entries.insert(entries.begin(), fx::RawEntry{"evil/layer.tar", {}, EntryType::hardlink, "../../etc/passwd"});
                     return write_entries(entries);
                   }),
                   {bad, "leaves the archive"}, {}});
  cases.push_back({"TarEntryTwice", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entries.push_back(fx::RawEntry{"manifest.json", "[]", EntryType::regular, {}});
                     return write_entries(entries);
                   }),
                   {bad, "manifest.json", "twice"}, {}});

  // --- manifest.json and configs (legacy) ---
  cases.push_back({"ManifestInvalidJson", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entry_at(entries, "manifest.json").content = "[{\"Config\": ";
                     return write_entries(entries);
                   }),
                   {bad, "manifest.json", "invalid JSON"}, {}});
  cases.push_back({"ManifestNotJsonAtAll", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entry_at(entries, "manifest.json").content = "hello, world";
                     return write_entries(entries);
                   }),
                   {bad, "manifest.json"}, {"not a JSON document", "invalid JSON"}});
  cases.push_back({"ManifestNotAList", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& manifest) { manifest = manifest[0]; });
                     return write_entries(entries);
                   }),
                   {bad, "manifest.json", "not a list"}, {}});
  cases.push_back({"ConfigInvalidJson", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entry_at(entries, legacy_config_path(entries)).content = "{\"rootfs\": [}";
                     return write_entries(entries);
                   }),
                   {bad, ".json", "invalid JSON"}, {}});
  cases.push_back({"ManifestLayerWithDotDotPath", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Layers"][1] = "../x/layer.tar"; });
                     return write_entries(entries);
                   }),
                   {bad, "manifest.json", "../x/layer.tar", "leaves the archive"}, {}});
  cases.push_back({"ManifestLayerWithAbsolutePath", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Layers"][1] = "/abs/layer.tar"; });
                     return write_entries(entries);
                   }),
                   {bad, "manifest.json", "/abs/layer.tar", "absolute"}, {}});
  cases.push_back({"ManifestLayerDotDotInTheMiddle", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Layers"][1] = "x/../../layer.tar"; });
                     return write_entries(entries);
                   }),
                   {bad, "x/../../layer.tar", "leaves the archive"}, {}});
  cases.push_back({"ManifestConfigWithDotDotPath", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Config"] = "../c.json"; });
                     return write_entries(entries);
                   }),
                   {bad, "manifest.json", "../c.json", "leaves the archive"}, {}});
  cases.push_back({"ManifestConfigWithAbsolutePath", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Config"] = "/c.json"; });
                     return write_entries(entries);
                   }),
                   {bad, "/c.json", "absolute"}, {}});
  cases.push_back({"SymlinkLoop", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Layers"][1] = "a/layer.tar"; });
                     entries.push_back(fx::RawEntry{"a/layer.tar", {}, EntryType::symlink, "../b/layer.tar"});
                     entries.push_back(fx::RawEntry{"b/layer.tar", {}, EntryType::symlink, "../a/layer.tar"});
                     return write_entries(entries);
                   }),
                   {bad, "a/layer.tar", "link loop"}, {}});
  cases.push_back({"SymlinkToItself", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Layers"][1] = "a/layer.tar"; });
                     entries.push_back(fx::RawEntry{"a/layer.tar", {}, EntryType::symlink, "layer.tar"});
                     return write_entries(entries);
                   }),
                   {bad, "a/layer.tar", "loop"}, {}});
  cases.push_back({"SymlinkEscapingTheArchive", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Layers"][1] = "a/layer.tar"; });
                     entries.push_back(fx::RawEntry{"a/layer.tar", {}, EntryType::symlink, "../../etc/passwd"});
                     return write_entries(entries);
                   }),
                   {bad, "a/layer.tar", "../../etc/passwd", "leaves the archive"}, {}});
  cases.push_back({"AbsoluteSymlink", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Layers"][1] = "a/layer.tar"; });
                     entries.push_back(fx::RawEntry{"a/layer.tar", {}, EntryType::symlink, "/etc/passwd"});
                     return write_entries(entries);
                   }),
                   {bad, "/etc/passwd", "leaves the archive"}, {}});
  cases.push_back({"SymlinkToMissingFile", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, "manifest.json", [](json& m) { m[0]["Layers"][1] = "a/layer.tar"; });
                     entries.push_back(fx::RawEntry{"a/layer.tar", {}, EntryType::symlink, "../nowhere/layer.tar"});
                     return write_entries(entries);
                   }),
                   {bad, "a/layer.tar", "not in the archive"}, {}});
  cases.push_back({"LayerIsADirectory", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     const auto layer = legacy_layer_path(entries, 1);
                     const auto directory = layer.substr(0, layer.rfind('/'));
                     edit_json(entries, "manifest.json", [&](json& m) { m[0]["Layers"][1] = directory; });
                     return write_entries(entries);
                   }),
                   {bad, "not a regular file"}, {}});
  cases.push_back({"FewerDiffIdsThanLayers", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, legacy_config_path(entries), [](json& c) { c["rootfs"]["diff_ids"].erase(0); });
                     return write_entries(entries);
                   }),
                   {bad, "diff_ids"}, {}});
  cases.push_back({"MoreDiffIdsThanLayers", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, legacy_config_path(entries),
                               [](json& c) { c["rootfs"]["diff_ids"].push_back(fx::diff_id_of(incompressible_layer())); });
                     return write_entries(entries);
                   }),
                   {bad, "diff_ids"}, {}});
  cases.push_back({"DiffIdNotADigest", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     edit_json(entries, legacy_config_path(entries), [](json& c) { c["rootfs"]["diff_ids"][1] = "sha256:../../x"; });
                     return write_entries(entries);
                   }),
                   {bad, "diff_id", "not a sha256 digest"}, {}});
  cases.push_back({"MissingConfig", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     erase_entry(entries, legacy_config_path(entries));
                     return write_entries(entries);
                   }),
                   {bad, ".json", "not in the archive"}, {}});
  cases.push_back({"MissingLayer", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     erase_entry(entries, legacy_layer_path(entries, 1));
                     return write_entries(entries);
                   }),
                   {bad, "layer.tar", "not in the archive"}, {}});

  // --- OCI: index.json, manifests, media types ---
  cases.push_back({"IndexDigestWithDotDot", bad, writes(bad, [] {
                     auto entries = oci_app();
                     edit_json(entries, "index.json", [](json& i) { i["manifests"][0]["digest"] = "sha256:../../../etc/passwd"; });
                     return write_entries(entries);
                   }),
                   {bad, "index.json", "not a sha256 digest"}, {}});
  cases.push_back({"IndexDigestNotSha256", bad, writes(bad, [] {
                     auto entries = oci_app();
                     edit_json(entries, "index.json", [](json& i) { i["manifests"][0]["digest"] = "md5:d41d8cd98f00b204e9800998ecf8427e"; });
                     return write_entries(entries);
                   }),
                   {bad, "index.json", "not a sha256 digest"}, {}});
  cases.push_back({"IndexInvalidJson", bad, writes(bad, [] {
                     auto entries = oci_app();
                     entry_at(entries, "index.json").content = "{\"manifests\": [";
                     return write_entries(entries);
                   }),
                   {bad, "index.json", "invalid JSON"}, {}});
  cases.push_back({"UnknownMediaTypeInIndex", bad, writes(bad, [] {
                     auto entries = oci_app();
                     edit_json(entries, "index.json", [](json& i) { i["manifests"][0]["mediaType"] = "application/vnd.example.thing+json"; });
                     return write_entries(entries);
                   }),
                   {bad, "index.json", "unknown media type", "application/vnd.example.thing+json"}, {}});
  cases.push_back({"UnknownLayerMediaType", bad, writes(bad, [] {
                     auto entries = oci_app();
                     rewrite_oci_image(entries, [](json& manifest, json&) {
                       manifest["layers"][1]["mediaType"] = "application/vnd.example.layer.v1.tar+lz4";
                     });
                     return write_entries(entries);
                   }),
                   {bad, "unknown layer media type", "application/vnd.example.layer.v1.tar+lz4"}, {}});
  cases.push_back({"UnknownConfigMediaType", bad, writes(bad, [] {
                     auto entries = oci_app();
                     rewrite_oci_image(entries, [](json& manifest, json&) { manifest["config"]["mediaType"] = "text/plain"; });
                     return write_entries(entries);
                   }),
                   {bad, "unknown config media type"}, {}});
  cases.push_back({"OciFewerDiffIdsThanLayers", bad, writes(bad, [] {
                     auto entries = oci_app();
                     rewrite_oci_image(entries, [](json&, json& config) { config["rootfs"]["diff_ids"].erase(1); });
                     return write_entries(entries);
                   }),
                   {bad, "diff_ids"}, {}});
  cases.push_back({"OciMissingConfigBlob", bad, writes(bad, [] {
                     auto entries = oci_app();
                     erase_entry(entries, oci_config_path(entries));
                     return write_entries(entries);
                   }),
                   {bad, "blobs/sha256/", "not in the archive"}, {}});
  cases.push_back({"OciMissingLayerBlob", bad, writes(bad, [] {
                     auto entries = oci_app();
                     erase_entry(entries, blob_path(fx::diff_id_of(fx::sample_app_layer())));
                     return write_entries(entries);
                   }),
                   {bad, blob_path(fx::diff_id_of(fx::sample_app_layer())), "not in the archive"}, {}});
  cases.push_back({"OciMissingManifestBlob", bad, writes(bad, [] {
                     auto entries = oci_app();
                     erase_entry(entries, oci_manifest_path(entries));
                     return write_entries(entries);
                   }),
                   {bad, "not in the archive"}, {}});
  cases.push_back({"OciConfigNotMatchingItsDigest", bad, writes(bad, [] {
                     auto entries = oci_app();
                     entry_at(entries, oci_config_path(entries)).content += "\n";
                     return write_entries(entries);
                   }),
                   {bad, "does not match its digest"}, {}});
  cases.push_back({"IndexesNestedTooDeep", bad, writes(bad, [] {
                     auto entries = oci_app();
                     auto top = json_at(entries, "index.json")["manifests"][0];
                     for (int i = 0; i < 12; ++i) {
                       const auto nested = json{{"schemaVersion", 2},
                                                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                                                {"manifests", json::array({top})}}
                                               .dump();
                       top = json{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                                  {"digest", put_blob(entries, nested)},
                                  {"size", nested.size()}};
                     }
                     edit_json(entries, "index.json", [&](json& index) { index["manifests"] = json::array({top}); });
                     return write_entries(entries);
                   }),
                   {bad, "nested"}, {}});

  // --- decisions the output depends on ---
  cases.push_back({"KeptLayerEmptyInTheArchive", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entry_at(entries, legacy_layer_path(entries, 1)).content.clear();
                     return write_entries(entries);
                   }),
                   {bad, "is empty in the archive"}, {}, kAsTarget});

  // docker save never compresses layer.tar; converting such an archive would name a blob wrongly.
  cases.push_back({"LegacyLayerStoredCompressed", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entry_at(entries, legacy_layer_path(entries, 1)).content =
                         fx::write_raw_tar({{"app/run.sh", std::string(5000, 'z'), EntryType::regular, {}}}, Compression::gzip);
                     return write_entries(entries);
                   }),
                   {bad, "compressed"}, {}, kAsTarget});

  // --- what the command line names ---
  cases.push_back({"NonexistentPath", "missing.tar", [](const fs::path&) {}, {"missing.tar", "no such file"}, {}});
  // A named pipe nobody writes to: opening it for reading would wait forever.
  cases.push_back({"NamedPipe", "fifo.tar", [](const fs::path& work) {
                     if (::mkfifo((work / "fifo.tar").c_str(), 0644) != 0) throw std::runtime_error("mkfifo failed");
                   },
                   {"fifo.tar", "not a regular file"}, {}, kAsTarget | kAsBase});
  cases.push_back({"DirectoryThatIsNotALayout", "notalayout", [](const fs::path& work) {
                     fx::write_file(work / "notalayout" / "sub" / "readme.txt", "not an image\n");
                   },
                   {"notalayout", "neither manifest.json nor index.json"}, {}});
  cases.push_back({"LayoutDirectoryWithSymlinkOutside", "layout", [](const fs::path& work) {
                     fx::write_fixture_directory(work / "layout", {app_image()}, layout_options(fx::FixtureLayout::oci));
                     const auto blob = work / "layout" / blob_path(fx::diff_id_of(fx::sample_app_layer()));
                     fs::remove(blob);
                     fs::create_symlink("/etc/passwd", blob);
                   },
                   {"layout", "leaves the archive"}, {}});
  cases.push_back({"LayoutDirectoryWithRelativeSymlinkOutside", "layout", [](const fs::path& work) {
                     fx::write_fixture_directory(work / "layout", {app_image()}, layout_options(fx::FixtureLayout::oci));
                     const auto blob = work / "layout" / blob_path(fx::diff_id_of(fx::sample_app_layer()));
                     fs::remove(blob);
                     fs::create_symlink("../../../base.tar", blob);
                   },
                   {"layout", "leaves the archive"}, {}});

  // --- inventory files given as the base ---
  const std::string inventory = "inventory.json";
  cases.push_back({"InventoryObjectWithoutChainIds", inventory, writes(inventory, [] { return std::string("{\"foo\":1}"); }),
                   {inventory, "not an inventory"}, {}, kAsBase});
  cases.push_back({"InventoryListOfNonDigests", inventory, writes(inventory, [] { return std::string("[\"not-a-digest\"]"); }),
                   {inventory, "not-a-digest", "not a sha256 digest"}, {}, kAsBase});
  cases.push_back({"InventoryInvalidJson", inventory, writes(inventory, [] { return std::string("{\"chain_ids\": ["); }),
                   {inventory, "invalid JSON"}, {}, kAsBase});
  cases.push_back({"InventoryChainIdsNotAList", inventory, writes(inventory, [] { return std::string("{\"chain_ids\": 5}"); }),
                   {inventory, "not a list"}, {}, kAsBase});
  cases.push_back({"InventoryDiffIdListWithNumber", inventory, writes(inventory, [] { return std::string("[[1, 2]]"); }),
                   {inventory, "not a sha256 digest"}, {}, kAsBase});
  // Valid JSON, hostile shape: a list nested a million deep (2 MB, well under the 64 MiB limit).
  cases.push_back({"InventoryNestedAMillionDeep", inventory, writes(inventory, [] { return deeply_nested_list(1000000); }),
                   {inventory}, {"nested", "deep", "not a sha256 digest", "not an inventory", "invalid JSON"}, kAsBase});
  cases.push_back({"InventoryObjectWithDeeplyNestedItem", inventory, writes(inventory, [] {
                     return "[{\"x\": " + deeply_nested_list(1000000) + "}]";
                   }),
                   {inventory}, {"nested", "deep", "not an inventory", "invalid JSON"}, kAsBase});

  cases.push_back({"FifoEntryKeptAsItIs", bad, writes(bad, [] {
                     auto entries = legacy_app();
                     entries.insert(entries.begin(), fx::RawEntry{"weird", {}, EntryType::other, {}});
                     return write_entries(entries);
                   }),
                   {bad, "weird", "unsupported entry type"}, {}, 0U,
                   {{"slim", bad, "-b", "base.tar", "-o", "out.tar", "--layout", "keep"}}});

  // --- several inputs ---
  cases.push_back({"BundleOfLegacyKeptAndOci", "oci.tar", [](const fs::path& work) {
                     fx::write_file(work / "legacy.tar", fx::write_fixture({app_image()}, layout_options(fx::FixtureLayout::legacy)));
                     fx::write_file(work / "oci.tar", fx::write_fixture({{{"other:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}},
                                                                        layout_options(fx::FixtureLayout::oci)));
                   },
                   {"oci.tar", "legacy.tar", "cannot share a bundle"}, {}, 0U,
                   {{"slim", "legacy.tar", "oci.tar", "-b", "base.tar", "--bundle", "-o", "out.tar", "--layout", "keep"}}});
  // The first target is fine, the second is not: the first one's output must not stay behind.
  cases.push_back({"SecondOfTwoTargetsBad", bad, [](const fs::path& work) {
                     fs::create_directories(work / "slim");
                     auto entries = legacy_app();
                     entry_at(entries, legacy_layer_path(entries, 1)).content.clear();
                     fx::write_file(work / "bad.tar", write_entries(entries));
                   },
                   {bad, "is empty in the archive"}, {}, 0U,
                   {{"slim", "good.tar", "bad.tar", "-b", "base.tar", "--output-dir", "slim"}}});
  cases.push_back({"SecondOfTwoTargetsTruncated", bad, [](const fs::path& work) {
                     fs::create_directories(work / "slim");
                     const auto archive = fx::write_fixture({app_image()});
                     fx::write_file(work / "bad.tar", archive.substr(0, find_or_throw(archive, fx::sample_app_layer()) + 1000));
                   },
                   {bad, "truncated"}, {}, 0U,
                   {{"slim", "good.tar", "bad.tar", "-b", "base.tar", "--output-dir", "slim"}}});
  return cases;
}

// ---------------------------------------------------------------------------------------------

class BadInputTest : public ::testing::TestWithParam<BadCase> {
 protected:
  void SetUp() override {
    work_ = root_ / "work";
    tmp_ = root_ / "tmp";
    fs::create_directories(work_);
    fs::create_directories(tmp_);
    fx::write_file(work_ / "base.tar", fx::write_fixture({base_image()}));
    fx::write_file(work_ / "good.tar", fx::write_fixture({app_image()}));
  }

  const fx::TempDir root_{"dockerdiff-bad-input"};
  fs::path work_;
  fs::path tmp_;  // TMPDIR of every run: must be empty afterwards
};

TEST_P(BadInputTest, FailsWithOneLineAndLeavesNothing) {
  const auto& c = GetParam();
  c.make(work_);

  auto commands = c.commands;
  if (commands.empty()) {
    if ((c.roles & kAsTarget) != 0U) commands.push_back({"slim", c.file, "-b", "base.tar", "-o", "out.tar"});
    if ((c.roles & kAsBase) != 0U) commands.push_back({"slim", "good.tar", "-b", c.file, "-o", "out.tar"});
    if ((c.roles & kInspect) != 0U) commands.push_back({"inspect", c.file});
  }
  ASSERT_FALSE(commands.empty());

  for (const auto& args : commands) {
    SCOPED_TRACE(fx::command_line(args));
    const auto before = snapshot(work_);
    const auto result = run_tool(work_, args, {"TMPDIR=" + tmp_.string()});

    EXPECT_EQ(result.status, 1) << "stderr: " << result.err;
    EXPECT_TRUE(result.out.empty()) << "stdout has " << result.out.size() << " bytes: " << result.out.substr(0, 200);
    // Exactly one line, starting with the program's name.
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << "stderr: " << result.err;
    EXPECT_TRUE(result.err.ends_with("\n")) << "stderr: " << result.err;
    EXPECT_TRUE(result.err.starts_with("dockerdiff: ")) << "stderr: " << result.err;
    EXPECT_EQ(result.err.find("internal error"), std::string::npos) << "stderr: " << result.err;
    // It names the file and the problem.
    for (const auto& part : c.must) {
      EXPECT_TRUE(contains_nocase(result.err, part)) << "expected \"" << part << "\" in: " << result.err;
    }
    if (!c.any_of.empty()) {
      const bool named = std::any_of(c.any_of.begin(), c.any_of.end(),
                                     [&](const std::string& part) { return contains_nocase(result.err, part); });
      std::string wanted;
      for (const auto& part : c.any_of) wanted += " \"" + part + "\"";
      EXPECT_TRUE(named) << "expected one of" << wanted << " in: " << result.err;
    }
    // No output and no temporary file; the inputs are unchanged.
    EXPECT_FALSE(fs::exists(work_ / "out.tar"));
    EXPECT_EQ(temporary_files(work_), std::vector<std::string>{});
    EXPECT_EQ(snapshot(work_), before);
    EXPECT_EQ(snapshot(tmp_), (std::map<std::string, std::string>{}));
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInputTest, ::testing::ValuesIn(bad_cases()),
                         [](const ::testing::TestParamInfo<BadCase>& param_info) { return param_info.param.name; });

// A field the reader does not look at, nested a million deep in manifest.json, must not crash the
// tool when a bundle merges the manifests: either the output is written or the input is refused
// with the usual one line; never a crash, never a half-written output.
TEST(BadInputDeepJson, BundleMergingADeeplyNestedManifestFieldDoesNotCrash) {
  const fx::TempDir root("dockerdiff-bad-input");
  const auto work = root / "work";
  fs::create_directories(work);
  fx::write_file(work / "base.tar", fx::write_fixture({base_image()}));
  fx::write_file(work / "other.tar", fx::write_fixture({{{"other:1"}, {fx::sample_base_layer(), incompressible_layer()}}}));
  auto entries = legacy_app();
  // nlohmann::json cannot even parse this text back here without recursing, so splice it in as text.
  auto& manifest = entry_at(entries, "manifest.json").content;
  ASSERT_TRUE(manifest.ends_with("}]"));
  manifest = manifest.substr(0, manifest.size() - 2) + ",\"Extra\":" + deeply_nested_list(1000000) + "}]";
  fx::write_file(work / "bad.tar", write_entries(entries));

  const auto before = snapshot(work);
  const auto result = run_tool(work, {"slim", "bad.tar", "other.tar", "-b", "base.tar", "--bundle", "-o", "out.tar", "--layout", "keep"});
  EXPECT_TRUE(result.status == 0 || result.status == 1) << "exit status " << result.status << " (128+N: killed by signal N)";
  if (result.status == 1) {
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_TRUE(contains_nocase(result.err, "bad.tar")) << result.err;
    EXPECT_FALSE(fs::exists(work / "out.tar"));
    EXPECT_EQ(snapshot(work), before);
  } else if (result.status == 0) {
    EXPECT_TRUE(fs::exists(work / "out.tar"));
  }
  EXPECT_EQ(temporary_files(work), std::vector<std::string>{});
}

// ---------------------------------------------------------------------------------------------
// Inputs that do not come from a file: stdin, and images saved or inspected through an engine
// (a stand-in `docker` on PATH). The message names the input as given; the temporary copy goes away.

class IndirectInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = root_ / "work";
    io_ = root_ / "io";
    tmp_ = root_ / "tmp";
    bin_ = root_ / "bin";
    for (const auto& dir : {work_, io_, tmp_, bin_}) fs::create_directories(dir);
    fx::write_file(work_ / "base.tar", fx::write_fixture({base_image()}));
    fx::write_file(work_ / "good.tar", fx::write_fixture({app_image()}));
    const auto archive = fx::write_fixture({app_image()});
    fx::write_file(io_ / "truncated.tar", archive.substr(0, find_or_throw(archive, fx::sample_app_layer()) + 3000));
  }

  // A `docker` that runs this shell script body.
  void fake_docker(const std::string& body) const { fx::write_script(bin_ / "docker", body); }

  RunResult run(const std::vector<std::string>& args, const fs::path& stdin_path = "/dev/null") const {
    // No daemon at DOCKER_HOST: docker:REF goes through the stand-in CLI.
    return run_tool(work_, args, {fx::path_with(bin_), "TMPDIR=" + tmp_.string(), "DOCKER_HOST=unix://" + (root_ / "no-daemon.sock").string()},
                    stdin_path);
  }

  void expect_failure(const RunResult& result, const std::vector<std::string>& parts) const {
    EXPECT_EQ(result.status, 1) << "stderr: " << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << "stderr: " << result.err;
    EXPECT_TRUE(result.err.starts_with("dockerdiff: ")) << "stderr: " << result.err;
    for (const auto& part : parts) {
      EXPECT_TRUE(contains_nocase(result.err, part)) << "expected \"" << part << "\" in: " << result.err;
    }
    EXPECT_TRUE(result.out.empty());
    EXPECT_FALSE(fs::exists(work_ / "out.tar"));
    EXPECT_EQ(temporary_files(work_), std::vector<std::string>{});
    EXPECT_EQ(snapshot(tmp_), (std::map<std::string, std::string>{}));
  }

  const fx::TempDir root_{"dockerdiff-bad-input"};
  fs::path work_;
  fs::path io_;
  fs::path tmp_;
  fs::path bin_;
};

TEST_F(IndirectInputTest, TruncatedArchiveOnStdin) {
  expect_failure(run({"slim", "-", "-b", "base.tar", "-o", "out.tar"}, io_ / "truncated.tar"), {"stdin", "truncated"});
  expect_failure(run({"slim", "good.tar", "-b", "-", "-o", "out.tar"}, io_ / "truncated.tar"), {"stdin", "truncated"});
  expect_failure(run({"inspect", "-"}, io_ / "truncated.tar"), {"stdin", "truncated"});
}

TEST_F(IndirectInputTest, EmptyStdin) {
  expect_failure(run({"slim", "-", "-b", "base.tar", "-o", "out.tar"}), {"stdin", "empty"});
}

TEST_F(IndirectInputTest, EngineSaveFails) {
  fake_docker("echo 'Error response from daemon: No such image: app:1' >&2\necho 'second line' >&2\nexit 1");
  expect_failure(run({"slim", "docker:app:1", "-b", "base.tar", "-o", "out.tar"}), {"docker:app:1", "No such image"});
}

TEST_F(IndirectInputTest, EngineSavesATruncatedArchive) {
  // docker save REF (to stdout); no image inspect: dockerdiff then keeps every layer it reads
  fake_docker("[ \"$1\" = save ] || exit 3\ncat " + shell_quote((io_ / "truncated.tar").string()));
  expect_failure(run({"slim", "docker:app:1", "-b", "base.tar", "-o", "out.tar"}), {"docker:app:1", "truncated"});
  expect_failure(run({"inspect", "docker:app:1"}), {"docker:app:1", "truncated"});
}

TEST_F(IndirectInputTest, EngineInspectPrintsInvalidJson) {
  fake_docker("echo '[{\"RootFS\": '");
  expect_failure(run({"slim", "good.tar", "-b", "docker:base:1", "-o", "out.tar"}), {"docker:base:1", "invalid JSON"});
}

TEST_F(IndirectInputTest, EngineInspectListsLayersThatAreNotDigests) {
  fake_docker("echo '[{\"Id\": \"sha256:1\", \"RootFS\": {\"Type\": \"layers\", \"Layers\": [\"../../etc\"]}}]'");
  expect_failure(run({"slim", "good.tar", "-b", "docker:base:1", "-o", "out.tar"}), {"docker:base:1", "not a sha256 digest"});
}

}  // namespace
