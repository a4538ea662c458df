// check and inventory without an engine: the pure parts.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/plan/host_check.hpp"
#include "dockerdiff/plan/load_plan.hpp"
#include "dockerdiff/report/format.hpp"
#include "dockerdiff/report/host_reports.hpp"

namespace dockerdiff::plan {
namespace {

using nlohmann::json;

std::string diff(const std::string& name) { return sha256_digest("layer " + name); }

json record_requiring(const std::vector<std::string>& layers, std::size_t dropped) {
  std::vector<std::string> ids;
  for (const auto& name : layers) ids.push_back(diff(name));
  const auto chains = chain_ids(ids);
  auto required = json::array();
  for (std::size_t i = 0; i < dropped; ++i) {
    required.push_back({{"chain_id", chains[i]}, {"diff_id", ids[i]}, {"provided_by", "base.tar"}, {"base_images", {"base:1"}}});
  }
  return {{"schema", "dockerdiff.slim/v1"},
          {"images", {{{"tags", {"app:1"}}, {"config_digest", sha256_digest("config")}, {"layers", layers.size()}, {"required", required}}}}};
}

// slim writes the record and check reads it through the same types: what was required comes back.
TEST(SlimRecordTest, WhatSlimRecordsCheckReadsBack) {
  const std::vector<ImageRequirement> written{
      {{"app:1", "registry.example/app:1"},
       sha256_digest("config"),
       {{chain_ids({diff("os")})[0], diff("os"), "base.tar", {"base:1", "base:latest"}, {}, 0, {}},
        // Named as the host's gzip blob instead of the one the input named.
        {chain_ids({diff("os"), diff("libs")})[1], diff("libs"), "inventory.json", {}, sha256_digest("gzip libs"), 4096,
         diff("libs")}},
       3},
      {{}, sha256_digest("config 2"), {}, 1},
  };
  const auto read = requirements_from_record(json::parse(slim_record_json(written)), "dockerdiff.json");
  EXPECT_EQ(read, written);
  const auto document = json::parse(slim_record_json(written));
  EXPECT_EQ(document.at("schema"), "dockerdiff.slim/v1");
  const auto& renamed = document.at("images")[0].at("required")[1];
  EXPECT_EQ(renamed.at("blob"), sha256_digest("gzip libs"));
  EXPECT_EQ(renamed.at("original_blob"), diff("libs"));
  EXPECT_EQ(renamed.at("size"), 4096);
  // Unknown or not so: left out, as in records written before these fields.
  const auto& plain = document.at("images")[0].at("required")[0];
  EXPECT_FALSE(plain.contains("blob") || plain.contains("original_blob") || plain.contains("size")) << plain;
}

TEST(SlimRecordTest, ARecordWithoutBlobsAndSizesStaysReadable) {
  const auto images = requirements_from_record(record_requiring({"os", "libs", "app"}, 2), "slim.tar");
  ASSERT_EQ(images.size(), 1U);
  ASSERT_EQ(images[0].required.size(), 2U);
  for (const auto& layer : images[0].required) {
    EXPECT_EQ(layer.size, 0U);
    EXPECT_TRUE(layer.blob_digest.empty());
    EXPECT_TRUE(layer.original_blob.empty());
  }
  auto bad_size = record_requiring({"os", "app"}, 1);
  bad_size["images"][0]["required"][0]["size"] = "big";
  EXPECT_THROW(requirements_from_record(bad_size, "slim.tar"), Error);
  auto bad_blob = record_requiring({"os", "app"}, 1);
  bad_blob["images"][0]["required"][0]["original_blob"] = "../../etc/passwd";
  EXPECT_THROW(requirements_from_record(bad_blob, "slim.tar"), Error);
}

TEST(HostCheckTest, AHostWithTheBaseHasEverything) {
  const auto images = requirements_from_record(record_requiring({"os", "libs", "app"}, 2), "slim.tar");
  image::BaseSet host;
  host.add_image("docker", "base:1", {diff("os"), diff("libs")});
  const auto checks = check_host(images, host);
  ASSERT_EQ(checks.size(), 1U);
  EXPECT_TRUE(checks[0].missing.empty());
}

TEST(HostCheckTest, AHostWithOnlyPartOfTheBaseMissesTheRest) {
  const auto images = requirements_from_record(record_requiring({"os", "libs", "app"}, 2), "slim.tar");
  image::BaseSet host;
  host.add_image("docker", "os:1", {diff("os")});
  const auto checks = check_host(images, host);
  ASSERT_EQ(checks[0].missing.size(), 1U);
  EXPECT_EQ(checks[0].missing[0]->diff_id, diff("libs"));
  EXPECT_EQ(checks[0].missing[0]->provided_by, "base.tar");
  EXPECT_EQ(checks[0].missing[0]->base_images, std::vector<std::string>{"base:1"});
}

TEST(HostCheckTest, TheSameDiffIdOnAnotherBaseDoesNotCount) {
  const auto images = requirements_from_record(record_requiring({"os", "libs", "app"}, 2), "slim.tar");
  image::BaseSet host;
  host.add_image("docker", "other:1", {diff("other"), diff("libs")});
  host.add_image("docker", "os:1", {diff("os")});
  EXPECT_EQ(check_host(images, host)[0].missing.size(), 1U);
}

// The archive's image: the same config digest as the record, its layers named by (gzip) blobs.
image::ImageArchive archive_with_blobs(const std::vector<std::string>& layers) {
  std::vector<std::string> ids;
  for (const auto& name : layers) ids.push_back(diff(name));
  const auto chains = chain_ids(ids);
  image::Image image;
  image.tags = {"app:1"};
  image.config_digest = sha256_digest("config");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    image::Layer layer;
    layer.diff_id = ids[i];
    layer.chain_id = chains[i];
    layer.blob_digest = sha256_digest("gzip " + layers[i]);
    image.layers.push_back(layer);
  }
  return {image::Layout::docker25, {image}};
}

TEST(HostCheckTest, ContentStoreMustHoldTheBlobsTheArchiveNames) {
  auto images = requirements_from_record(record_requiring({"os", "libs", "app"}, 2), "slim.tar");
  attach_blob_digests(images, archive_with_blobs({"os", "libs", "app"}));
  ASSERT_EQ(images[0].required.size(), 2U);
  EXPECT_EQ(images[0].required[0].blob_digest, sha256_digest("gzip os"));
  EXPECT_EQ(images[0].required[1].blob_digest, sha256_digest("gzip libs"));

  // The store holds both blobs: complete.
  const std::set<std::string> both{sha256_digest("gzip os"), sha256_digest("gzip libs"), sha256_digest("unrelated")};
  EXPECT_TRUE(check_content_store(images, both)[0].absent.empty());
  // The layers only as the uncompressed form (blob = diff_id): both absent, named in order.
  const auto checks = check_content_store(images, {diff("os"), diff("libs")});
  ASSERT_EQ(checks.size(), 1U);
  ASSERT_EQ(checks[0].absent.size(), 2U);
  EXPECT_EQ(checks[0].absent[0]->chain_id, images[0].required[0].chain_id);
  EXPECT_EQ(checks[0].absent[1]->diff_id, diff("libs"));
  // One of the two.
  EXPECT_EQ(check_content_store(images, {sha256_digest("gzip os")})[0].absent.size(), 1U);
}

// A legacy archive names layer files, no blobs: containerd records an emptied file as the empty
// blob, so every dropped layer counts as absent whatever the store holds.
TEST(HostCheckTest, LegacyLayoutLayersAreNeverInTheContentStore) {
  auto images = requirements_from_record(record_requiring({"os", "app"}, 1), "slim.tar");
  auto archive = archive_with_blobs({"os", "app"});
  for (auto& layer : archive.images[0].layers) layer.blob_digest.clear();
  attach_blob_digests(images, archive);
  EXPECT_EQ(images[0].required[0].blob_digest, "");
  EXPECT_EQ(check_content_store(images, {diff("os"), sha256_digest("gzip os")})[0].absent.size(), 1U);
}

TEST(HostCheckTest, ABrokenRecordIsAnError) {
  EXPECT_THROW(requirements_from_record(json::object(), "slim.tar"), Error);
  auto record = record_requiring({"os"}, 1);
  record["images"][0]["required"][0]["chain_id"] = "nope";
  EXPECT_THROW(requirements_from_record(record, "slim.tar"), Error);
}

TEST(InventoryTest, MakeInventoryRoundTripsIntoABaseSet) {
  const json inspected = json::array({
      {{"Id", "sha256:" + std::string(64, 'b')}, {"RepoTags", {"app:1"}}, {"RootFS", {{"Type", "layers"}, {"Layers", {diff("os"), diff("app")}}}}},
      {{"Id", "sha256:" + std::string(64, 'a')}, {"RepoTags", {"os:1"}}, {"RootFS", {{"Type", "layers"}, {"Layers", {diff("os")}}}}},
      {{"Id", "sha256:" + std::string(64, 'c')}, {"RepoTags", json::array()}, {"RootFS", {{"Type", "layers"}}}},
  });
  const auto inventory = image::make_inventory("docker", inspected);
  EXPECT_EQ(inventory["schema"], "dockerdiff.inventory/v1");
  ASSERT_EQ(inventory["images"].size(), 3U);
  EXPECT_EQ(inventory["images"][0]["tags"], json({"os:1"}));  // sorted by ID
  EXPECT_EQ(inventory["chain_ids"].size(), 2U);
  image::BaseSet host;
  host.add_inventory("inventory.json", inventory);
  EXPECT_NE(host.find(chain_ids({diff("os"), diff("app")})[1]), nullptr);
  EXPECT_EQ(host.find(diff("app")), nullptr);
  EXPECT_EQ(host.find(diff("os"))->images, (std::vector<std::string>{"os:1", "app:1"}));
}

// On a containerd image store the inventory also records the blobs the store holds per layer; an
// inventory without them (older files, classic stores) reads as before.
TEST(InventoryTest, BlobsTheStoreHoldsRoundTripIntoABaseSet) {
  const json inspected = json::array(
      {{{"Id", "sha256:" + std::string(64, 'a')}, {"RepoTags", {"os:1"}}, {"RootFS", {{"Type", "layers"}, {"Layers", {diff("os")}}}}}});
  const image::HostBlob gzip{diff("os"), sha256_digest("gzip form of os"), "application/vnd.oci.image.layer.v1.tar+gzip", 1234};
  const image::HostBlob plain{diff("os"), diff("os"), "application/vnd.oci.image.layer.v1.tar", 4096};
  const auto inventory = image::make_inventory("docker", inspected, {gzip, plain, gzip});
  ASSERT_EQ(inventory["blobs"].size(), 2U);  // each blob once
  image::BaseSet host;
  host.add_inventory("inventory.json", inventory);
  auto blobs = host.blobs_of(diff("os"));
  std::sort(blobs.begin(), blobs.end(), [](const auto& a, const auto& b) { return a.digest < b.digest; });
  auto expected = std::vector<image::HostBlob>{gzip, plain};
  std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) { return a.digest < b.digest; });
  EXPECT_EQ(blobs, expected);
  EXPECT_TRUE(host.blobs_of(diff("app")).empty());

  auto older = inventory;
  older.erase("blobs");
  image::BaseSet older_host;
  older_host.add_inventory("old.json", older);
  EXPECT_NE(older_host.find(chain_ids({diff("os")})[0]), nullptr);
  EXPECT_TRUE(older_host.blobs_of(diff("os")).empty());

  auto broken = inventory;
  broken["blobs"][0].erase("size");
  image::BaseSet broken_host;
  EXPECT_THROW(broken_host.add_inventory("broken.json", broken), Error);
}

// check's output is data until it is printed: one image misses a layer, another loads whole.
TEST(CheckReportTest, NamesWhatIsMissingAndWhatLoads) {
  auto images = requirements_from_record(record_requiring({"os", "libs", "app"}, 2), "slim.tar");
  images.push_back({{}, sha256_digest("config 2"), {}, 1});
  image::BaseSet host;
  host.add_image("docker", "os:1", {diff("os")});
  report::CheckOutcome outcome;
  for (const auto& check : check_host(images, host)) {
    if (check.missing.empty()) {
      outcome.complete.push_back(check.image);
    } else {
      outcome.missing.push_back(check);
    }
  }
  const auto text = report::check_text(outcome);
  EXPECT_NE(text.find("app:1: missing 1 of 2 layers the host must have:\n  chain " + chain_ids({diff("os"), diff("libs")})[1]),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("from base.tar [base:1]"), std::string::npos) << text;
  EXPECT_NE(text.find(report::short_digest(sha256_digest("config 2")) + ": ok (0 layers come from the host)"), std::string::npos) << text;
  EXPECT_EQ(report::check_warning(outcome), "");
}

// load on a host that lacks a layer: nothing is loaded, and the refusal names the first layer,
// the base that provided it, and how many are missing.
TEST(LoadPlanTest, AMissingLayerRefusesTheLoad) {
  const auto images = requirements_from_record(record_requiring({"os", "libs", "app"}, 2), "slim.tar");
  image::BaseSet host;
  host.add_image("docker", "other:1", {diff("other")});
  const auto plan = plan_load(images, host, std::nullopt);
  ASSERT_EQ(plan.missing.size(), 1U);
  const auto text = report::load_refusal(plan.missing);
  EXPECT_NE(text.find("not loaded: app:1 needs layer " + report::short_digest(diff("os")) + " (chain " + diff("os") +
                      ") from base.tar [base:1], which this host does not hold; 2 layers missing in all"),
            std::string::npos)
      << text;
}

// A classic store and podman find dropped layers by chain ID: the archive goes in as it is.
TEST(LoadPlanTest, AClassicStoreNeedsNothingWrittenIn) {
  const auto images = requirements_from_record(record_requiring({"os", "libs", "app"}, 2), "slim.tar");
  image::BaseSet host;
  host.add_image("docker", "base:1", {diff("os"), diff("libs")});
  const auto plan = plan_load(images, host, std::nullopt);
  EXPECT_TRUE(plan.missing.empty());
  ASSERT_TRUE(plan.refill.has_value());
  EXPECT_TRUE(plan.refill->empty());
  EXPECT_TRUE(plan.providers.empty());
  EXPECT_FALSE(plan.names_host_blobs);
}

// On a containerd store: a layer whose named blob the store holds needs nothing; a named
// uncompressed blob it lacks is written in from the host image that has the layer; a named gzip
// blob it lacks, held in another form, is named as the host's blob.
TEST(LoadPlanTest, AContainerdStoreGetsWhatItLacks) {
  auto images = requirements_from_record(record_requiring({"os", "libs", "app"}, 2), "slim.tar");
  auto archive = archive_with_blobs({"os", "libs", "app"});
  archive.images[0].layers[0].blob_digest = diff("os");  // the uncompressed form
  attach_blob_digests(images, archive);
  image::BaseSet host;
  host.add_image("docker", "base:1", {diff("os"), diff("libs")});
  host.add_blob({diff("os"), sha256_digest("host gzip os"), "application/vnd.oci.image.layer.v1.tar+gzip", 10});
  host.add_blob({diff("libs"), sha256_digest("host gzip libs"), "application/vnd.oci.image.layer.v1.tar+gzip", 10});
  const std::set<std::string> content{sha256_digest("host gzip os"), sha256_digest("host gzip libs")};

  const auto plan = plan_load(images, host, ContentStore{content});
  EXPECT_TRUE(plan.missing.empty());
  EXPECT_EQ(plan.refill, (std::set<std::string>{diff("os")}));
  EXPECT_EQ(plan.providers, std::vector<std::string>{"base:1"});
  EXPECT_TRUE(plan.names_host_blobs);

  // The store holds both named blobs: nothing to do.
  const auto whole = plan_load(images, host, ContentStore{std::set<std::string>{diff("os"), sha256_digest("gzip libs")}});
  EXPECT_TRUE(whole.refill->empty());
  EXPECT_FALSE(whole.names_host_blobs);

  // Content unknown: every dropped layer is written in.
  const auto unknown = plan_load(images, host, ContentStore{});
  EXPECT_FALSE(unknown.refill.has_value());
  EXPECT_EQ(unknown.providers, std::vector<std::string>{"base:1"});
}

}  // namespace
}  // namespace dockerdiff::plan
