// The fixture writer itself: every layout it claims to write is read back by the production reader
// with the right diff_ids, chain IDs and tags, and its reading helpers see what is really there.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/reader.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"

namespace dockerdiff::testing {
namespace {

namespace fs = std::filesystem;
using archive::Compression;
using archive::EntryType;
using nlohmann::json;

struct Read {
  std::unique_ptr<archive::ArchiveInput> input;
  image::ImageArchive images;
};

Read read_with_production_reader(const fs::path& path, bool directory = false) {
  Read out;
  out.input = directory ? archive::open_layout_directory(path, path.string()) : archive::open_tar_archive(path, path.string());
  const image::EntryIndex index(out.input->entries(), out.input->name());
  out.images = image::read_image_archive(index);
  return out;
}

std::string layer(const std::string& name) { return make_layer_tar({{name + "/file.txt", "content of " + name + "\n"}}); }

std::vector<std::string> diff_ids(const std::vector<std::string>& layers) {
  std::vector<std::string> out;
  for (const auto& l : layers) out.push_back(diff_id_of(l));
  return out;
}

// Base B (two layers) and app A = B's layers + one app layer.
struct TwoImages {
  std::string l0 = layer("base0");
  std::string l1 = layer("base1");
  std::string app = layer("app");
  FixtureImage base{{"example.com/base:1"}, {l0, l1}};
  FixtureImage application{{"example.com/app:2", "app:latest"}, {l0, l1, app}};
};

void expect_images_read_back(const image::ImageArchive& archive, const std::vector<FixtureImage>& expected) {
  ASSERT_EQ(archive.images.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("image " + std::to_string(i));
    const auto& image = archive.images[i];
    EXPECT_EQ(image.tags, expected[i].tags);
    const auto ids = diff_ids(expected[i].layers);
    const auto chains = chain_ids_of(expected[i].layers);
    ASSERT_EQ(image.layers.size(), ids.size());
    for (std::size_t l = 0; l < ids.size(); ++l) {
      EXPECT_EQ(image.layers[l].diff_id, ids[l]);
      EXPECT_EQ(image.layers[l].chain_id, chains[l]);
    }
  }
}

TEST(Fixture, MakeLayerTarIsDeterministicAndHoldsTheFiles) {
  const auto tar = make_layer_tar({{"etc/hostname", "box\n"}, {"bin/tool", "#!/bin/sh\n"}});
  EXPECT_EQ(tar, make_layer_tar({{"etc/hostname", "box\n"}, {"bin/tool", "#!/bin/sh\n"}}));
  EXPECT_NE(tar, make_layer_tar({{"etc/hostname", "box2\n"}, {"bin/tool", "#!/bin/sh\n"}}));
  const auto contents = read_tar(tar);
  ASSERT_EQ(contents.size(), 2U);
  EXPECT_EQ(contents.at("etc/hostname").content, "box\n");
  EXPECT_EQ(contents.at("bin/tool").type, EntryType::regular);
  EXPECT_EQ(entry_order(tar), (std::vector<std::string>{"etc/hostname", "bin/tool"}));
  EXPECT_EQ(tar.size() % 512, 0U);
  EXPECT_EQ(diff_id_of(tar), dockerdiff::sha256_digest(tar));
}

TEST(Fixture, ChainIdsFollowTheOciDefinition) {
  const auto a = layer("a");
  const auto b = layer("b");
  const auto chains = chain_ids_of({a, b});
  ASSERT_EQ(chains.size(), 2U);
  EXPECT_EQ(chains[0], diff_id_of(a));
  EXPECT_EQ(chains[1], dockerdiff::sha256_digest(diff_id_of(a) + " " + diff_id_of(b)));
}

TEST(Fixture, LegacyLayoutReadsBackWithDockerOrder) {
  TempDir dir;
  const TwoImages fx;
  const std::vector<FixtureImage> images{fx.base, fx.application};
  write_fixture_file(dir / "images.tar", images, {});
  const auto read = read_with_production_reader(dir / "images.tar");
  EXPECT_EQ(read.images.layout, image::Layout::legacy);
  expect_images_read_back(read.images, images);

  const auto bytes = read_file(dir / "images.tar");
  const auto order = entry_order(bytes);
  // Layer directories, then configs, then manifest.json and repositories.
  ASSERT_GE(order.size(), 4U);
  EXPECT_EQ(order[order.size() - 2], "manifest.json");
  EXPECT_EQ(order.back(), "repositories");
  const auto first_config = std::find_if(order.begin(), order.end(), [](const std::string& p) { return p.ends_with(".json") && p.find('/') == std::string::npos; });
  ASSERT_NE(first_config, order.end());
  const auto contents = read_tar(bytes);
  for (auto it = order.begin(); it != first_config; ++it) {
    EXPECT_TRUE(it->find('/') != std::string::npos || contents.at(*it).type == EntryType::directory) << *it;
  }
  EXPECT_EQ(*(first_config + 1), order[order.size() - 3]) << "two configs, then manifest.json";
  // The base's two layers are shared by both images and written once: 3 layer dirs of 4 entries.
  EXPECT_EQ(std::count_if(order.begin(), order.end(), [](const std::string& p) { return p.ends_with("/layer.tar"); }), 3);
  EXPECT_EQ(order.size(), 3U * 4U + 2U + 2U);

  const auto manifest = json::parse(contents.at("manifest.json").content);
  ASSERT_EQ(manifest.size(), 2U);
  const auto top = manifest[1]["Layers"][2].get<std::string>();
  const auto v1 = top.substr(0, top.find('/'));
  EXPECT_EQ(contents.at(v1 + "/VERSION").content, "1.0");
  EXPECT_EQ(json::parse(contents.at(v1 + "/json").content)["id"], v1);
  const auto repositories = json::parse(contents.at("repositories").content);
  EXPECT_EQ(repositories["example.com/app"]["2"], v1);
  EXPECT_EQ(repositories["app"]["latest"], v1);
  const auto config = json::parse(contents.at(manifest[1]["Config"].get<std::string>()).content);
  EXPECT_EQ(config["rootfs"]["diff_ids"], json(diff_ids(fx.application.layers)));
  EXPECT_EQ(config["os"], "linux");
  EXPECT_EQ(manifest[1]["Config"].get<std::string>(),
            std::string(dockerdiff::digest_hex(dockerdiff::sha256_digest(contents.at(manifest[1]["Config"].get<std::string>()).content))) + ".json");
}

TEST(Fixture, Docker25LayoutReadsBack) {
  TempDir dir;
  const TwoImages fx;
  const std::vector<FixtureImage> images{fx.base, fx.application};
  write_fixture_file(dir / "images.tar", images, {.layout = FixtureLayout::docker25});
  const auto read = read_with_production_reader(dir / "images.tar");
  EXPECT_EQ(read.images.layout, image::Layout::docker25);
  expect_images_read_back(read.images, images);
  for (const auto& l : read.images.images[1].layers) EXPECT_EQ(l.blob_digest, l.diff_id);  // uncompressed blobs

  const auto contents = read_tar(read_file(dir / "images.tar"));
  for (const char* path : {"blobs", "blobs/sha256", "index.json", "manifest.json", "oci-layout", "repositories"}) {
    EXPECT_TRUE(contents.contains(path)) << path;
  }
  std::size_t blobs = 0;
  for (const auto& [path, entry] : contents) {
    if (!path.starts_with("blobs/sha256/")) continue;
    ++blobs;
    EXPECT_EQ(dockerdiff::sha256_digest(entry.content), "sha256:" + path.substr(13));
  }
  EXPECT_EQ(blobs, 3U + 2U + 2U);  // shared layers once, two configs, two manifests
  const auto index = json::parse(contents.at("index.json").content);
  ASSERT_EQ(index["manifests"].size(), 3U);  // one descriptor per tag
  EXPECT_EQ(index["manifests"][1]["annotations"]["io.containerd.image.name"], "example.com/app:2");
  EXPECT_EQ(index["manifests"][1]["annotations"]["org.opencontainers.image.ref.name"], "2");
  EXPECT_EQ(json::parse(contents.at("oci-layout").content)["imageLayoutVersion"], "1.0.0");
  EXPECT_TRUE(check_layers_read_back(read_file(dir / "images.tar")).empty());
}

class FixtureOciLayers : public ::testing::TestWithParam<Compression> {};

TEST_P(FixtureOciLayers, CompressedLayerBlobsReadBack) {
  TempDir dir;
  const TwoImages fx;
  const std::vector<FixtureImage> images{fx.base, fx.application};
  write_fixture_file(dir / "images.tar", images, {.layout = FixtureLayout::oci, .layer_compression = GetParam()});
  const auto read = read_with_production_reader(dir / "images.tar");
  EXPECT_EQ(read.images.layout, image::Layout::oci);
  expect_images_read_back(read.images, images);
  const auto contents = read_tar(read_file(dir / "images.tar"));
  EXPECT_FALSE(contents.contains("manifest.json"));
  EXPECT_FALSE(contents.contains("repositories"));
  for (const auto& l : read.images.images[1].layers) {
    const auto& blob = resolved_content(contents, l.path);
    EXPECT_EQ(dockerdiff::sha256_digest(blob), l.blob_digest);
    EXPECT_EQ(diff_id_of(decompress(blob)), l.diff_id);
    if (GetParam() == Compression::none) {
      EXPECT_EQ(l.media_type, "application/vnd.oci.image.layer.v1.tar");
      EXPECT_EQ(l.blob_digest, l.diff_id);
    } else {
      EXPECT_EQ(l.media_type, std::string("application/vnd.oci.image.layer.v1.tar+") + std::string(archive::compression_name(GetParam())));
      EXPECT_NE(l.blob_digest, l.diff_id);
      EXPECT_EQ(archive::detect_compression(blob.substr(0, 8)), GetParam());
    }
  }
  std::size_t checked = 0;
  EXPECT_TRUE(check_layers_read_back(read_file(dir / "images.tar"), &checked).empty());
  EXPECT_EQ(checked, 5U);
}

INSTANTIATE_TEST_SUITE_P(LayerCompression, FixtureOciLayers,
                         ::testing::Values(Compression::none, Compression::gzip, Compression::zstd),
                         [](const auto& test_param) { return std::string(archive::compression_name(test_param.param)); });

TEST(Fixture, NestedIndexReadsBackWithTheTag) {
  TempDir dir;
  const TwoImages fx;
  write_fixture_file(dir / "app.tar", {fx.application}, {.layout = FixtureLayout::oci, .nested_index = true});
  const auto contents = read_tar(read_file(dir / "app.tar"));
  const auto index = json::parse(contents.at("index.json").content);
  ASSERT_EQ(index["manifests"].size(), 2U);  // one per tag, both to the nested index
  EXPECT_EQ(index["manifests"][0]["mediaType"], "application/vnd.oci.image.index.v1+json");
  const auto nested_path = "blobs/sha256/" + std::string(dockerdiff::digest_hex(index["manifests"][0]["digest"].get<std::string>()));
  const auto nested = json::parse(contents.at(nested_path).content);
  ASSERT_EQ(nested["manifests"].size(), 1U);
  EXPECT_EQ(nested["manifests"][0]["mediaType"], "application/vnd.oci.image.manifest.v1+json");

  const auto read = read_with_production_reader(dir / "app.tar");
  expect_images_read_back(read.images, {fx.application});
  const auto listed = list_archive_images(contents);
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].tags, fx.application.tags);
  EXPECT_EQ(listed[0].diff_ids, diff_ids(fx.application.layers));
}

TEST(Fixture, LegacyRepeatedLayersAreSymlinksOrHardLinks) {
  const auto l0 = layer("l0");
  const auto a = layer("a");
  const FixtureImage repeated{{"rep:1"}, {l0, a, l0}};
  for (const bool hard : {false, true}) {
    SCOPED_TRACE(hard ? "hard links" : "symlinks");
    TempDir dir;
    write_fixture_file(dir / "rep.tar", {repeated}, {.use_hardlinks = hard});
    const auto bytes = read_file(dir / "rep.tar");
    const auto contents = read_tar(bytes);
    const auto manifest = json::parse(contents.at("manifest.json").content);
    const auto first = manifest[0]["Layers"][0].get<std::string>();
    const auto third = manifest[0]["Layers"][2].get<std::string>();
    ASSERT_NE(first, third);  // different chain IDs, different v1 ids
    EXPECT_EQ(contents.at(first).type, EntryType::regular);
    EXPECT_EQ(contents.at(first).content, l0);
    const auto& link = contents.at(third);
    if (hard) {
      EXPECT_EQ(link.type, EntryType::hardlink);
      EXPECT_EQ(link.link_target, first);
    } else {
      EXPECT_EQ(link.type, EntryType::symlink);
      EXPECT_EQ(link.link_target, "../" + first);
    }
    EXPECT_EQ(resolved_content(contents, third), l0);
    const auto order = entry_order(bytes);
    EXPECT_LT(std::find(order.begin(), order.end(), first), std::find(order.begin(), order.end(), third));

    const auto read = read_with_production_reader(dir / "rep.tar");
    expect_images_read_back(read.images, {repeated});
    EXPECT_FALSE(read.images.images[0].layers[0].linked);
    EXPECT_TRUE(read.images.images[0].layers[2].linked);
    EXPECT_EQ(read.images.images[0].layers[2].entry, read.images.images[0].layers[0].entry);
  }

  TempDir dir;
  write_fixture_file(dir / "copies.tar", {repeated}, {.link_repeated_layers = false});
  const auto contents = read_tar(read_file(dir / "copies.tar"));
  const auto manifest = json::parse(contents.at("manifest.json").content);
  EXPECT_EQ(contents.at(manifest[0]["Layers"][2].get<std::string>()).type, EntryType::regular);
  EXPECT_EQ(contents.at(manifest[0]["Layers"][2].get<std::string>()).content, l0);
}

TEST(Fixture, LegacyLinksAcrossImagesAndSharedChainsWrittenOnce) {
  const auto l0 = layer("l0");
  const auto l1 = layer("l1");
  // Same chain in two images: one layer dir. Same diff_id at another position: a link to the first.
  const FixtureImage x{{"x:1"}, {l0, l1}};
  const FixtureImage y{{"y:1"}, {l0}};
  const FixtureImage z{{"z:1"}, {l1}};
  const auto bytes = write_fixture({x, y, z});
  const auto contents = read_tar(bytes);
  const auto manifest = json::parse(contents.at("manifest.json").content);
  EXPECT_EQ(manifest[0]["Layers"][0], manifest[1]["Layers"][0]);
  const auto z_path = manifest[2]["Layers"][0].get<std::string>();
  EXPECT_EQ(contents.at(z_path).type, EntryType::symlink);
  EXPECT_EQ(contents.at(z_path).link_target, "../" + manifest[0]["Layers"][1].get<std::string>());
  const auto order = entry_order(bytes);
  EXPECT_EQ(std::count_if(order.begin(), order.end(), [](const std::string& p) { return p.ends_with("/layer.tar"); }), 3);
  std::size_t checked = 0;
  EXPECT_TRUE(check_layers_read_back(bytes, &checked).empty());
  EXPECT_EQ(checked, 4U);
}

class FixtureArchiveCompression : public ::testing::TestWithParam<Compression> {};

TEST_P(FixtureArchiveCompression, WholeArchiveCompressedAndDetected) {
  TempDir dir;
  const TwoImages fx;
  const std::vector<FixtureImage> images{fx.base, fx.application};
  write_fixture_file(dir / "images.tar", images, {.archive_compression = GetParam()});
  const auto bytes = read_file(dir / "images.tar");
  EXPECT_EQ(archive::detect_compression(bytes.substr(0, 8)), GetParam());
  const auto read = read_with_production_reader(dir / "images.tar");
  EXPECT_EQ(read.input->compression(), GetParam());
  expect_images_read_back(read.images, images);
  std::size_t checked = 0;
  EXPECT_TRUE(check_layers_read_back(bytes, &checked).empty());
  EXPECT_EQ(checked, 5U);
  EXPECT_EQ(write_fixture(images, {.archive_compression = GetParam()}), bytes);  // deterministic
}

INSTANTIATE_TEST_SUITE_P(Compressions, FixtureArchiveCompression,
                         ::testing::Values(Compression::none, Compression::gzip, Compression::zstd, Compression::xz,
                                           Compression::bzip2),
                         [](const auto& test_param) { return std::string(archive::compression_name(test_param.param)); });

TEST(Fixture, LayoutDirectoryReadsBack) {
  const TwoImages fx;
  const std::vector<FixtureImage> images{fx.base, fx.application};
  for (const auto layout : {FixtureLayout::oci, FixtureLayout::docker25}) {
    TempDir dir;
    write_fixture_directory(dir / "layout", images, {.layout = layout});
    EXPECT_TRUE(fs::is_regular_file(dir / "layout" / "index.json"));
    EXPECT_TRUE(fs::is_regular_file(dir / "layout" / "oci-layout"));
    EXPECT_EQ(fs::is_regular_file(dir / "layout" / "manifest.json"), layout == FixtureLayout::docker25);
    EXPECT_TRUE(fs::is_regular_file(dir / "layout" / "blobs" / "sha256" / std::string(dockerdiff::digest_hex(diff_id_of(fx.app)))));
    const auto read = read_with_production_reader(dir / "layout", true);
    EXPECT_EQ(read.images.layout, layout == FixtureLayout::oci ? image::Layout::oci : image::Layout::docker25);
    expect_images_read_back(read.images, images);
  }
  TempDir dir;
  EXPECT_THROW(write_fixture_directory(dir / "legacy", images, {}), std::invalid_argument);
}

TEST(Fixture, RawTarRoundTripsEveryEntryType) {
  const std::vector<RawEntry> entries{
      {"dir/", "", EntryType::directory, ""},
      {"dir/file", "data", EntryType::regular, ""},
      {"dir/sym", "", EntryType::symlink, "file"},
      {"up", "", EntryType::symlink, "dir/sym"},
      {"hard", "", EntryType::hardlink, "dir/file"},
      {"empty", "", EntryType::regular, ""},
  };
  for (const auto compression : {Compression::none, Compression::gzip, Compression::zstd}) {
    SCOPED_TRACE(std::string(archive::compression_name(compression)));
    const auto bytes = write_raw_tar(entries, compression);
    EXPECT_EQ(archive::detect_compression(bytes.substr(0, 8)), compression);
    EXPECT_EQ(entry_order(bytes), (std::vector<std::string>{"dir", "dir/file", "dir/sym", "up", "hard", "empty"}));
    const auto contents = read_tar(bytes);
    EXPECT_EQ(contents.at("dir").type, EntryType::directory);
    EXPECT_EQ(contents.at("dir/sym").type, EntryType::symlink);
    EXPECT_EQ(contents.at("dir/sym").link_target, "file");
    EXPECT_EQ(contents.at("hard").type, EntryType::hardlink);
    EXPECT_EQ(contents.at("hard").link_target, "dir/file");
    EXPECT_EQ(resolved_content(contents, "dir/sym"), "data");  // relative to the link's directory
    EXPECT_EQ(resolved_content(contents, "up"), "data");       // two hops
    EXPECT_EQ(resolved_content(contents, "hard"), "data");
    EXPECT_EQ(resolved_content(contents, "empty"), "");
  }
}

TEST(Fixture, ResolvedContentRefusesLoopsAndMissingTargets) {
  const auto contents = read_tar(write_raw_tar({
      {"a", "", EntryType::symlink, "b"},
      {"b", "", EntryType::symlink, "a"},
      {"dangling", "", EntryType::symlink, "nowhere"},
      {"out", "", EntryType::symlink, "../../etc/passwd"},
      {"d/", "", EntryType::directory, ""},
  }));
  EXPECT_THROW(resolved_content(contents, "a"), std::runtime_error);
  EXPECT_THROW(resolved_content(contents, "dangling"), std::runtime_error);
  EXPECT_THROW(resolved_content(contents, "out"), std::runtime_error);
  EXPECT_THROW(resolved_content(contents, "d"), std::runtime_error);
  EXPECT_THROW(resolved_content(contents, "missing"), std::runtime_error);
}

TEST(Fixture, DecompressHandlesGzipZstdAndPlainBytes) {
  const auto tar = layer("x");
  EXPECT_EQ(decompress(tar), tar);
  EXPECT_EQ(decompress(""), "");
  for (const auto compression : {Compression::gzip, Compression::zstd, Compression::xz, Compression::bzip2}) {
    // A compressed tar of the layer, then the raw stream back.
    const auto compressed = write_raw_tar({{"x/file.txt", "content of x\n", EntryType::regular, ""}}, compression);
    EXPECT_NE(compressed, tar);
    EXPECT_EQ(decompress(compressed), tar) << archive::compression_name(compression);
  }
}

TEST(Fixture, CheckLayersReadBackFindsCorruptionAndSkipsEmptyLayers) {
  const TwoImages fx;
  for (const auto layout : {FixtureLayout::legacy, FixtureLayout::docker25, FixtureLayout::oci}) {
    SCOPED_TRACE(static_cast<int>(layout));
    const auto bytes = write_fixture({fx.application}, {.layout = layout});
    std::size_t checked = 0;
    EXPECT_TRUE(check_layers_read_back(bytes, &checked).empty());
    EXPECT_EQ(checked, 3U);

    // Rewrite the archive with the app layer corrupted, and with the base layers emptied.
    const auto contents = read_tar(bytes);
    const auto listed = list_archive_images(contents);
    ASSERT_EQ(listed.size(), 1U);
    ASSERT_EQ(listed[0].layer_paths.size(), 3U);
    std::vector<RawEntry> corrupted;
    std::vector<RawEntry> emptied;
    for (const auto& path : entry_order(bytes)) {
      const auto& entry = contents.at(path);
      RawEntry raw{path, entry.content, entry.type, entry.link_target};
      RawEntry copy = raw;
      if (path == listed[0].layer_paths[2]) raw.content = layer("not the app");
      if (path == listed[0].layer_paths[0] || path == listed[0].layer_paths[1]) copy.content.clear();
      corrupted.push_back(raw);
      emptied.push_back(copy);
    }
    const auto failures = check_layers_read_back(write_raw_tar(corrupted), &checked);
    ASSERT_FALSE(failures.empty());
    EXPECT_NE(failures[0].find(listed[0].layer_paths[2]), std::string::npos) << failures[0];
    EXPECT_TRUE(check_layers_read_back(write_raw_tar(emptied), &checked).empty());
    EXPECT_EQ(checked, 1U);
  }
  EXPECT_FALSE(check_layers_read_back(write_raw_tar({{"hello", "world", EntryType::regular, ""}})).empty());
  EXPECT_FALSE(check_layers_read_back("not a tar at all").empty());
}

TEST(Fixture, UntaggedImagesAndDeterministicBytes) {
  const TwoImages fx;
  const FixtureImage untagged{{}, {fx.l0, fx.app}};
  for (const auto layout : {FixtureLayout::legacy, FixtureLayout::docker25, FixtureLayout::oci}) {
    SCOPED_TRACE(static_cast<int>(layout));
    TempDir dir;
    const FixtureOptions options{.layout = layout, .archive_compression = Compression::gzip};
    write_fixture_file(dir / "u.tar.gz", {untagged}, options);
    EXPECT_EQ(read_file(dir / "u.tar.gz"), write_fixture({untagged}, options));
    const auto read = read_with_production_reader(dir / "u.tar.gz");
    ASSERT_EQ(read.images.images.size(), 1U);
    EXPECT_TRUE(read.images.images[0].tags.empty());
    EXPECT_EQ(read.images.images[0].layers[1].diff_id, diff_id_of(fx.app));
    const auto contents = read_tar(read_file(dir / "u.tar.gz"));
    EXPECT_FALSE(contents.contains("repositories"));
  }
}

}  // namespace
}  // namespace dockerdiff::testing
