// The plan is pure: these tests build catalogs in memory (no files, no layer data) and check every
// decision the planner makes.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/plan/slim_plan.hpp"
#include "dockerdiff/plan/slim_record.hpp"
#include "dockerdiff/archive/tar_layout.hpp"

namespace dockerdiff::plan {
namespace {

using archive::EntryType;
using archive::TarEntry;
using dockerdiff::sha256_digest;
using nlohmann::json;
using Kind = PlannedEntry::Kind;

std::string diff(const std::string& name) { return sha256_digest("layer " + name); }

struct CatalogImage {
  std::vector<std::string> tags;
  std::vector<std::string> layers;  // layer names; diff_id = diff(name), size = 1000 * name length
};

TarEntry file(const std::string& path, std::uint64_t size, std::optional<std::string> content = std::nullopt) {
  TarEntry entry;
  entry.path = path;
  entry.size = content ? content->size() : size;
  entry.content = std::move(content);
  return entry;
}

TarEntry link(const std::string& path, const std::string& target) {
  TarEntry entry;
  entry.path = path;
  entry.type = EntryType::symlink;
  entry.link_target = target;
  return entry;
}

std::string config_for(const std::vector<std::string>& layers) {
  json ids = json::array();
  for (const auto& name : layers) ids.push_back(diff(name));
  return json{{"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", ids}}}}.dump();
}

// A legacy docker save catalog: one directory per chain, repeated diff_ids linked to the first copy.
std::vector<TarEntry> legacy_catalog(const std::vector<CatalogImage>& images) {
  std::vector<TarEntry> entries;
  std::map<std::string, std::string> first_path;  // diff_id -> path holding it
  std::set<std::string> written;
  json manifest = json::array();
  for (const auto& image : images) {
    json paths = json::array();
    std::vector<std::string> ids;
    for (const auto& name : image.layers) ids.push_back(diff(name));
    const auto chains = dockerdiff::chain_ids(ids);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto path = std::string(dockerdiff::digest_hex(sha256_digest(chains[i]))) + "/layer.tar";
      paths.push_back(path);
      if (!written.insert(path).second) continue;
      if (const auto it = first_path.find(ids[i]); it != first_path.end()) {
        entries.push_back(link(path, "../" + it->second));
      } else {
        entries.push_back(file(path, 1000 * image.layers[i].size()));
        first_path[ids[i]] = path;
      }
    }
    const auto config = config_for(image.layers);
    const auto config_path = std::string(dockerdiff::digest_hex(sha256_digest(config))) + ".json";
    entries.push_back(file(config_path, 0, config));
    manifest.push_back({{"Config", config_path}, {"RepoTags", image.tags}, {"Layers", paths}});
  }
  entries.push_back(file("manifest.json", 0, manifest.dump()));
  return entries;
}

// An OCI layout catalog (docker25 adds manifest.json): blobs named by digest, shared blobs once.
std::vector<TarEntry> oci_catalog(const std::vector<CatalogImage>& images, bool with_docker_manifest) {
  std::vector<TarEntry> entries;
  std::set<std::string> written;
  const auto blob = [&](const std::string& digest, std::uint64_t size, std::optional<std::string> content) {
    const auto path = "blobs/sha256/" + std::string(dockerdiff::digest_hex(digest));
    if (written.insert(path).second) entries.push_back(file(path, size, std::move(content)));
    return path;
  };
  json index = {{"schemaVersion", 2}, {"manifests", json::array()}};
  json docker = json::array();
  for (const auto& image : images) {
    json layers = json::array();
    json paths = json::array();
    for (const auto& name : image.layers) {
      paths.push_back(blob(diff(name), 1000 * name.size(), std::nullopt));
      layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", diff(name)}, {"size", 1000 * name.size()}});
    }
    const auto config = config_for(image.layers);
    const auto config_path = blob(sha256_digest(config), 0, config);
    const auto manifest = json{{"schemaVersion", 2},
                               {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", sha256_digest(config)}, {"size", config.size()}}},
                               {"layers", layers}}
                              .dump();
    blob(sha256_digest(manifest), 0, manifest);
    index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"digest", sha256_digest(manifest)},
                                  {"size", manifest.size()},
                                  {"annotations", {{"io.containerd.image.name", image.tags.at(0)}}}});
    docker.push_back({{"Config", config_path}, {"RepoTags", image.tags}, {"Layers", paths}});
  }
  entries.push_back(file("index.json", 0, index.dump()));
  entries.push_back(file("oci-layout", 0, json{{"imageLayoutVersion", "1.0.0"}}.dump()));
  if (with_docker_manifest) entries.push_back(file("manifest.json", 0, docker.dump()));
  return entries;
}

image::BaseSet base_of(const std::vector<std::vector<std::string>>& images) {
  image::BaseSet base;
  for (const auto& layers : images) {
    std::vector<std::string> ids;
    for (const auto& name : layers) ids.push_back(diff(name));
    base.add_image("base.tar", "base:1", ids);
  }
  return base;
}

// Catalogs, their models and the plan made from them, kept alive together.
struct Planned {
  std::vector<std::vector<TarEntry>> catalogs;
  std::vector<image::ImageArchive> models;
  SlimPlan plan;

  const PlannedEntry& at(const std::string& path) const {
    for (const auto& entry : plan.entries) {
      if (entry.path == path) return entry;
    }
    throw std::runtime_error("no planned entry " + path);
  }
  std::vector<bool> dropped(std::size_t image) const {
    std::vector<bool> out;
    for (const auto& layer : plan.images.at(image).layers) out.push_back(layer.dropped);
    return out;
  }
};

// `record`: every input's own dockerdiff.json (a slim archive slimmed again).
Planned make_plan(std::vector<std::vector<TarEntry>> catalogs, const image::BaseSet& base, LayoutMode mode = LayoutMode::automatic,
                  const std::vector<ImageRequirement>* record = nullptr) {
  Planned planned;
  planned.catalogs = std::move(catalogs);
  for (std::size_t i = 0; i < planned.catalogs.size(); ++i) {
    planned.models.push_back(image::read_image_archive(image::EntryIndex(planned.catalogs[i], "in" + std::to_string(i) + ".tar")));
  }
  std::vector<PlanInput> inputs;
  for (std::size_t i = 0; i < planned.catalogs.size(); ++i) {
    inputs.push_back({"in" + std::to_string(i) + ".tar", &planned.catalogs[i], &planned.models[i], record});
  }
  planned.plan = plan_slim(inputs, base, mode);
  return planned;
}

std::string legacy_path(const std::vector<std::string>& layers, std::size_t position) {
  std::vector<std::string> ids;
  for (const auto& name : layers) ids.push_back(diff(name));
  return std::string(dockerdiff::digest_hex(sha256_digest(dockerdiff::chain_ids(ids)[position]))) + "/layer.tar";
}

TEST(PlanTest, DropsExactlyTheLayersWhoseChainIdIsInTheBase) {
  const auto planned = make_plan({legacy_catalog({{{"app:1"}, {"os", "libs", "app"}}})}, base_of({{"os", "libs"}}), LayoutMode::keep);
  EXPECT_EQ(planned.dropped(0), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(planned.at(legacy_path({"os", "libs", "app"}, 0)).kind, Kind::empty);
  EXPECT_EQ(planned.at(legacy_path({"os", "libs", "app"}, 1)).kind, Kind::empty);
  EXPECT_EQ(planned.at(legacy_path({"os", "libs", "app"}, 2)).kind, Kind::copy);
  EXPECT_EQ(planned.plan.images[0].layers[0].provided_by, "base.tar");
  EXPECT_EQ(planned.plan.images[0].layers[0].provided_by_images, std::vector<std::string>{"base:1"});
}

TEST(PlanTest, TheSameDiffIdAtAnotherPositionIsKept) {
  // "libs" is in the base, but on top of nothing: its chain ID differs from libs-on-os.
  const auto planned = make_plan({legacy_catalog({{{"app:1"}, {"os", "libs"}}})}, base_of({{"libs"}}), LayoutMode::keep);
  EXPECT_EQ(planned.dropped(0), (std::vector<bool>{false, false}));
}

TEST(PlanTest, ACommonBottomLayerDropsOnlyThatLayer) {
  const auto planned = make_plan({legacy_catalog({{{"app:1"}, {"os", "libs", "app"}}})}, base_of({{"os", "other"}}));
  EXPECT_EQ(planned.dropped(0), (std::vector<bool>{true, false, false}));
}

TEST(PlanTest, UnionOfSeveralBases) {
  auto base = base_of({{"os"}});
  base.add_image("second.tar", "second:1", {diff("os"), diff("libs")});
  const auto planned = make_plan({legacy_catalog({{{"app:1"}, {"os", "libs", "app"}}})}, base);
  EXPECT_EQ(planned.dropped(0), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(planned.plan.images[0].layers[0].provided_by, "base.tar");
  EXPECT_EQ(planned.plan.images[0].layers[1].provided_by, "second.tar");
}

TEST(PlanTest, ARepeatedLayerMovesItsContentToTheKeptPath) {
  // docker save stores "os" once (position 0) and links position 2 to it; position 0 is dropped.
  const std::vector<std::string> layers{"os", "app", "os"};
  const auto planned = make_plan({legacy_catalog({{{"app:1"}, layers}})}, base_of({{"os"}}), LayoutMode::keep);
  EXPECT_EQ(planned.dropped(0), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(planned.at(legacy_path(layers, 0)).kind, Kind::empty);
  const auto& moved = planned.at(legacy_path(layers, 2));
  EXPECT_EQ(moved.kind, Kind::copy);
  EXPECT_EQ(moved.size, 2000U);
  EXPECT_EQ(planned.catalogs[0][moved.entry].path, legacy_path(layers, 0));
}

TEST(PlanTest, ALinkedLayerWhoseTargetIsKeptStaysALink) {
  const std::vector<std::string> layers{"os", "app", "os"};
  const auto planned = make_plan({legacy_catalog({{{"app:1"}, layers}})}, base_of({{"other"}}), LayoutMode::keep);
  EXPECT_EQ(planned.at(legacy_path(layers, 0)).kind, Kind::copy);
  EXPECT_EQ(planned.at(legacy_path(layers, 2)).kind, Kind::symlink);
  EXPECT_EQ(planned.at(legacy_path(layers, 2)).data, "../" + legacy_path(layers, 0));
}

TEST(PlanTest, KeepLayoutKeepsEveryNameAndAddsTheRecord) {
  auto catalog = legacy_catalog({{{"app:1"}, {"os", "app"}}});
  catalog.push_back(file("dockerdiff.json", 0, std::string("{\"stale\":true}")));
  const auto planned = make_plan({catalog}, base_of({{"os"}}), LayoutMode::keep);
  EXPECT_EQ(planned.plan.layout, image::Layout::legacy);
  ASSERT_EQ(planned.plan.entries.size(), catalog.size());
  for (std::size_t i = 0; i + 1 < catalog.size(); ++i) EXPECT_EQ(planned.plan.entries[i].path, catalog[i].path);
  const auto& record = planned.plan.entries.back();
  EXPECT_EQ(record.path, kSlimRecordPath);
  const auto document = json::parse(record.data);
  EXPECT_FALSE(document.contains("stale"));
  ASSERT_EQ(document["images"].size(), 1U);
  ASSERT_EQ(document["images"][0]["required"].size(), 1U);
  EXPECT_EQ(document["images"][0]["required"][0]["chain_id"], diff("os"));
  EXPECT_EQ(document["images"][0]["required"][0]["provided_by"], "base.tar");
}

TEST(PlanTest, AutoWritesALegacyInputInTheDocker25Layout) {
  const auto planned = make_plan({legacy_catalog({{{"app:1"}, {"os", "app"}}})}, base_of({{"os"}}));
  EXPECT_EQ(planned.plan.layout, image::Layout::docker25);
  const auto blob = [](const std::string& digest) { return "blobs/sha256/" + std::string(dockerdiff::digest_hex(digest)); };
  EXPECT_EQ(planned.at(blob(diff("os"))).kind, Kind::empty);
  EXPECT_EQ(planned.at(blob(diff("app"))).kind, Kind::copy);
  EXPECT_EQ(planned.at("oci-layout").data, R"({"imageLayoutVersion":"1.0.0"})");

  const auto manifest = json::parse(planned.at("manifest.json").data);
  ASSERT_EQ(manifest.size(), 1U);
  EXPECT_EQ(manifest[0]["RepoTags"], json({"app:1"}));
  EXPECT_EQ(manifest[0]["Layers"], json({blob(diff("os")), blob(diff("app"))}));
  // Every document blob is named by its content's digest, and the index points at the manifest.
  const auto index = json::parse(planned.at("index.json").data);
  ASSERT_EQ(index["manifests"].size(), 1U);
  const auto& descriptor = index["manifests"][0];
  EXPECT_EQ(descriptor["annotations"]["io.containerd.image.name"], "docker.io/library/app:1");
  EXPECT_EQ(descriptor["annotations"]["org.opencontainers.image.ref.name"], "1");
  const auto& oci_manifest = planned.at(blob(descriptor["digest"].get<std::string>()));
  EXPECT_EQ(sha256_digest(oci_manifest.data), descriptor["digest"]);
  const auto parsed = json::parse(oci_manifest.data);
  EXPECT_EQ(parsed["layers"][1]["digest"], diff("app"));
  EXPECT_EQ(parsed["layers"][1]["size"], 3000);
  const auto config_digest = parsed["config"]["digest"].get<std::string>();
  EXPECT_EQ(sha256_digest(planned.at(blob(config_digest)).data), config_digest);
}

// ---- a slim archive slimmed again ----

std::string blob_of(const std::string& digest) { return "blobs/sha256/" + std::string(dockerdiff::digest_hex(digest)); }

// `layers` with the first `emptied` of them zero-length, as an earlier slim left them.
std::vector<TarEntry> slim_legacy_catalog(const std::vector<std::string>& layers, std::size_t emptied) {
  auto catalog = legacy_catalog({{{"app:1"}, layers}});
  for (std::size_t i = 0; i < emptied; ++i) {
    for (auto& entry : catalog) {
      if (entry.path == legacy_path(layers, i)) entry.size = 0;
    }
  }
  return catalog;
}

// The record an earlier slim wrote for those emptied layers: sizes as recorded, 0 for none.
std::vector<ImageRequirement> earlier_record(const std::vector<std::string>& layers, const std::vector<std::uint64_t>& sizes) {
  std::vector<std::string> ids;
  for (const auto& name : layers) ids.push_back(diff(name));
  const auto chains = dockerdiff::chain_ids(ids);
  ImageRequirement image{{"app:1"}, sha256_digest(config_for(layers)), {}, layers.size()};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    image.required.push_back({chains[i], ids[i], "old-base.tar", {"old:1"}, {}, sizes[i], {}});
  }
  return {image};
}

// A planned document, written anew or copied from its input.
json document_at(const Planned& planned, const std::string& path) {
  const auto& entry = planned.at(path);
  if (entry.kind == Kind::copy) return json::parse(planned.catalogs.at(entry.input).at(entry.entry).content.value());
  return json::parse(entry.data);
}

json oci_manifest_of(const Planned& planned) {
  const auto index = document_at(planned, "index.json");
  return document_at(planned, blob_of(index["manifests"][0]["digest"].get<std::string>()));
}

std::vector<std::uint64_t> recorded_sizes(const Planned& planned) {
  std::vector<std::uint64_t> out;
  const auto record = json::parse(planned.at(kSlimRecordPath).data);
  for (const auto& layer : record["images"][0]["required"]) out.push_back(layer.value("size", std::uint64_t{0}));
  return out;
}

TEST(PlanTest, ALegacySlimInputGivesItsEmptiedLayersTheirRecordedSizesInTheDocker25Layout) {
  const std::vector<std::string> layers{"os", "libs", "app"};
  const auto record = earlier_record(layers, {2000, 4000});
  const auto planned = make_plan({slim_legacy_catalog(layers, 2)}, base_of({{"os", "libs"}}), LayoutMode::automatic, &record);
  EXPECT_EQ(planned.dropped(0), (std::vector<bool>{true, true, false}));
  const auto manifest = oci_manifest_of(planned);
  ASSERT_EQ(manifest["layers"].size(), 3U);
  EXPECT_EQ(manifest["layers"][0]["size"], 2000);
  EXPECT_EQ(manifest["layers"][1]["size"], 4000);
  EXPECT_EQ(manifest["layers"][2]["size"], 3000);
  EXPECT_EQ(planned.at(blob_of(diff("os"))).kind, Kind::empty);
  EXPECT_EQ(recorded_sizes(planned), (std::vector<std::uint64_t>{2000, 4000}));
  const auto required = json::parse(planned.at(kSlimRecordPath).data)["images"][0]["required"];
  EXPECT_EQ(required[0]["blob"], diff("os"));  // converted: the blob is the uncompressed tar
  EXPECT_EQ(required[0]["provided_by"], "base.tar");
}

TEST(PlanTest, ALegacySlimInputWithoutRecordedSizesCannotBecomeDocker25) {
  const std::vector<std::string> layers{"os", "app"};
  const auto record = earlier_record(layers, {0});  // written before records had sizes
  try {
    make_plan({slim_legacy_catalog(layers, 1)}, base_of({{"os"}}), LayoutMode::automatic, &record);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(diff("os")), std::string::npos) << message;
    EXPECT_NE(message.find("--layout keep"), std::string::npos) << message;
  }
  // Its own layout needs no size, and the record has none to give.
  const auto kept = make_plan({slim_legacy_catalog(layers, 1)}, base_of({{"os"}}), LayoutMode::keep, &record);
  EXPECT_EQ(kept.dropped(0), (std::vector<bool>{true, false}));
  EXPECT_EQ(recorded_sizes(kept), (std::vector<std::uint64_t>{0}));
}

TEST(PlanTest, ALayerDroppedBeforeStaysDroppedAndRequiredWithoutItsBase) {
  const std::vector<std::string> layers{"os", "app"};
  const auto record = earlier_record(layers, {2000});
  for (const auto mode : {LayoutMode::keep, LayoutMode::automatic}) {
    const auto planned = make_plan({slim_legacy_catalog(layers, 1)}, base_of({{"other"}}), mode, &record);
    EXPECT_EQ(planned.dropped(0), (std::vector<bool>{true, false}));
    EXPECT_EQ(planned.plan.images[0].layers[0].provided_by, "old-base.tar");
    const auto required = json::parse(planned.at(kSlimRecordPath).data)["images"][0]["required"];
    ASSERT_EQ(required.size(), 1U);
    EXPECT_EQ(required[0]["chain_id"], diff("os"));
    EXPECT_EQ(required[0]["provided_by"], "old-base.tar");
    EXPECT_EQ(required[0]["base_images"], json({"old:1"}));
    EXPECT_EQ(required[0]["size"], 2000);
  }
  // Without a record saying it was dropped, an empty layer no base provides is still an error.
  EXPECT_THROW(make_plan({slim_legacy_catalog(layers, 1)}, base_of({{"other"}}), LayoutMode::keep), Error);
}

TEST(PlanTest, AnOciSlimInputsEmptiedLayersKeepTheirDescriptorSizes) {
  auto catalog = oci_catalog({{{"app:1"}, {"os", "app"}}}, true);
  for (auto& entry : catalog) {
    if (entry.path == blob_of(diff("os"))) entry.size = 0;
  }
  for (const auto mode : {LayoutMode::keep, LayoutMode::automatic}) {
    const auto planned = make_plan({catalog}, base_of({{"os"}}), mode);  // no record: the descriptor says
    EXPECT_EQ(oci_manifest_of(planned)["layers"][0]["size"], 2000);
    EXPECT_EQ(recorded_sizes(planned), (std::vector<std::uint64_t>{2000}));
  }
}

TEST(PlanTest, ABlobSharedWithAKeptLayerOfAnotherImageStaysWhole) {
  // "libs" sits on "os" in a (dropped: the base has os+libs) and on "tools" in b (kept).
  const auto planned = make_plan({oci_catalog({{{"a:1"}, {"os", "libs"}}, {{"b:1"}, {"tools", "libs"}}}, true)},
                                 base_of({{"os", "libs"}}));
  EXPECT_EQ(planned.dropped(0), (std::vector<bool>{true, true}));
  EXPECT_EQ(planned.dropped(1), (std::vector<bool>{false, false}));
  EXPECT_EQ(planned.at("blobs/sha256/" + std::string(dockerdiff::digest_hex(diff("libs")))).kind, Kind::copy);
  EXPECT_EQ(planned.at("blobs/sha256/" + std::string(dockerdiff::digest_hex(diff("os")))).kind, Kind::empty);
}

TEST(PlanTest, OciInputKeepsItsLayoutAndItsDocuments) {
  const auto catalog = oci_catalog({{{"a:1"}, {"os", "app"}}}, false);
  const auto planned = make_plan({catalog}, base_of({{"os"}}), LayoutMode::keep);
  EXPECT_EQ(planned.plan.layout, image::Layout::oci);
  EXPECT_EQ(planned.at("index.json").kind, Kind::copy);
  EXPECT_THROW(planned.at("manifest.json"), std::runtime_error);
}

// --layout auto: a pure OCI input gains the manifest.json that docker's classic store reads, naming
// the blobs as they are; a bare OCI ref.name ("1") is no docker name, so that image loads untagged.
TEST(PlanTest, OciInputGetsManifestJsonWithLayoutAuto) {
  const auto catalog = oci_catalog({{{"a:1"}, {"os", "app"}}, {{"1"}, {"os", "tools"}}}, false);
  const auto planned = make_plan({catalog}, base_of({{"os"}}));
  EXPECT_EQ(planned.plan.layout, image::Layout::docker25);
  EXPECT_EQ(planned.at("index.json").kind, Kind::copy);
  const auto& manifest_entry = planned.at("manifest.json");
  ASSERT_EQ(manifest_entry.kind, Kind::document);
  const auto manifest = nlohmann::json::parse(manifest_entry.data);
  ASSERT_EQ(manifest.size(), 2U);
  EXPECT_EQ(manifest[0].at("RepoTags"), nlohmann::json::array({"a:1"}));
  EXPECT_EQ(manifest[1].at("RepoTags"), nlohmann::json::array());
  const auto blob = [](const char* name) { return "blobs/sha256/" + std::string(dockerdiff::digest_hex(diff(name))); };
  EXPECT_EQ(manifest[0].at("Layers"), nlohmann::json::array({blob("os"), blob("app")}));
  EXPECT_EQ(manifest[1].at("Layers"), nlohmann::json::array({blob("os"), blob("tools")}));
  EXPECT_EQ(planned.at(blob("os")).kind, Kind::empty);
  EXPECT_EQ(planned.at(blob("app")).kind, Kind::copy);
  EXPECT_TRUE(manifest[0].at("Config").get<std::string>().starts_with("blobs/sha256/"));
}

TEST(PlanTest, AKeptLayerWithoutDataIsAnError) {
  auto catalog = legacy_catalog({{{"app:1"}, {"os", "app"}}});
  for (auto& entry : catalog) {
    if (entry.path == legacy_path({"os", "app"}, 1)) entry.size = 0;
  }
  try {
    make_plan({catalog}, base_of({{"os"}}));
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("is empty in the archive"), std::string::npos) << error.what();
  }
}

TEST(PlanTest, ABundleHoldsEachPathOnceAndMergesTheManifests) {
  const auto planned = make_plan({oci_catalog({{{"a:1"}, {"os", "app"}}}, true), oci_catalog({{{"b:1"}, {"os", "tool"}}}, true)},
                                 base_of({{"other"}}));
  std::set<std::string> paths;
  for (const auto& entry : planned.plan.entries) EXPECT_TRUE(paths.insert(entry.path).second) << entry.path;
  const auto manifest = json::parse(planned.at("manifest.json").data);
  ASSERT_EQ(manifest.size(), 2U);
  EXPECT_EQ(manifest[0]["RepoTags"], json({"a:1"}));
  EXPECT_EQ(manifest[1]["RepoTags"], json({"b:1"}));
  EXPECT_EQ(json::parse(planned.at("index.json").data)["manifests"].size(), 2U);
  EXPECT_EQ(planned.plan.images.size(), 2U);
}

TEST(PlanTest, ABundleTakesTheWholeCopyOfAPathOneInputEmptied) {
  // "os" is dropped in a (chain os) but kept in b, where it sits on "tool".
  const auto planned = make_plan({oci_catalog({{{"a:1"}, {"os"}}}, true), oci_catalog({{{"b:1"}, {"tool", "os"}}}, true)},
                                 base_of({{"os"}}));
  EXPECT_EQ(planned.dropped(0), std::vector<bool>{true});
  EXPECT_EQ(planned.at("blobs/sha256/" + std::string(dockerdiff::digest_hex(diff("os")))).kind, Kind::copy);
}

TEST(PlanTest, LayoutsThatCannotShareABundleAreRefused) {
  EXPECT_THROW(make_plan({legacy_catalog({{{"a:1"}, {"os"}}}), oci_catalog({{{"b:1"}, {"os"}}}, false)}, base_of({{"os"}}),
                         LayoutMode::keep),
               Error);
}

TEST(PlanTest, TheSameInputsGiveTheSamePlan) {
  const auto catalog = legacy_catalog({{{"app:1", "app:latest"}, {"os", "libs", "app", "os"}}});
  const auto first = make_plan({catalog}, base_of({{"os", "libs"}}));
  const auto second = make_plan({catalog}, base_of({{"os", "libs"}}));
  ASSERT_EQ(first.plan.entries.size(), second.plan.entries.size());
  for (std::size_t i = 0; i < first.plan.entries.size(); ++i) {
    EXPECT_EQ(first.plan.entries[i].path, second.plan.entries[i].path);
    EXPECT_EQ(first.plan.entries[i].data, second.plan.entries[i].data);
  }
}

}  // namespace
}  // namespace dockerdiff::plan

namespace dockerdiff::plan {
namespace {

TEST(PlanTest, ConvertedIndexNamesImagesByTheirFullReference) {
  const auto planned = make_plan({legacy_catalog({{{"team/app:2", "registry.example:5000/team/app:3", "localhost/x"}, {"os"}}})},
                                 base_of({{"other"}}));
  const auto index = json::parse(planned.at("index.json").data);
  ASSERT_EQ(index["manifests"].size(), 3U);
  EXPECT_EQ(index["manifests"][0]["annotations"]["io.containerd.image.name"], "docker.io/team/app:2");
  EXPECT_EQ(index["manifests"][1]["annotations"]["io.containerd.image.name"], "registry.example:5000/team/app:3");
  EXPECT_EQ(index["manifests"][1]["annotations"]["org.opencontainers.image.ref.name"], "3");
  EXPECT_EQ(index["manifests"][2]["annotations"]["io.containerd.image.name"], "localhost/x");
  EXPECT_EQ(index["manifests"][2]["annotations"]["org.opencontainers.image.ref.name"], "latest");
}

}  // namespace
}  // namespace dockerdiff::plan

namespace dockerdiff::plan {
namespace {

// Where each planned entry's data starts in the written stream.
std::map<std::string, std::uint64_t> data_positions(const SlimPlan& plan) {
  std::map<std::string, std::uint64_t> out;
  std::uint64_t position = 0;
  for (const auto& entry : plan.entries) {
    archive::TarHeader header{entry.path, EntryType::regular, entry.kind == Kind::copy ? entry.size : entry.data.size(),
                              entry.mode, entry.mtime, entry.data};
    if (entry.kind == Kind::directory) header.type = EntryType::directory;
    if (entry.kind == Kind::symlink) header.type = EntryType::symlink;
    if (entry.kind == Kind::empty) header.size = 0;
    out[entry.path] = position + archive::tar_header_size(header);
    position += archive::tar_entry_size(header);
  }
  return out;
}

TEST(PlanTest, LargeCopiesLandAtTheirInputOffsetWithinAPage) {
  for (const std::uint64_t in_page : {0U, 512U, 2048U, 3584U}) {
    SCOPED_TRACE(in_page);
    auto catalog = legacy_catalog({{{"app:1"}, {"os", "libs", "app"}}});
    const auto app_path = legacy_path({"os", "libs", "app"}, 2);
    for (auto& entry : catalog) {
      if (entry.path == app_path) {
        entry.size = std::uint64_t{4} << 20;
        entry.data_offset = 10 * 4096 + in_page;
      }
    }
    for (const auto mode : {LayoutMode::automatic, LayoutMode::keep}) {
      const auto planned = make_plan({catalog}, base_of({{"os", "libs"}}), mode);
      const auto& copy = mode == LayoutMode::keep ? planned.at(app_path)
                                                  : planned.at("blobs/sha256/" + std::string(digest_hex(diff("app"))));
      EXPECT_EQ(data_positions(planned.plan)[copy.path] % 4096, in_page);
      // Reordering loses nothing.
      EXPECT_EQ(planned.plan.entries.size(), make_plan({catalog}, base_of({{"os", "libs"}}), mode).plan.entries.size());
    }
  }
}

}  // namespace
}  // namespace dockerdiff::plan
