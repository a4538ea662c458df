// Delta archives (slim --delta-from): a release's changed layer shipped as a zstd patch against the
// layer the host holds from the previous release, rebuilt byte for byte by restore; what a delta
// archive needs of the host named when it is missing; a corrupt patch refused with nothing written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockerdiff/commands/host.hpp"
#include "dockerdiff/commands/restore.hpp"
#include "dockerdiff/commands/slim.hpp"
#include "dockerdiff/plan/delta_plan.hpp"
#include "dockerdiff/plan/delta_record.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/limits.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

namespace dockerdiff::testing {
namespace {

namespace fs = std::filesystem;
using archive::Compression;
using nlohmann::json;

// Bytes no compressor shrinks: a patch is small only by finding them in the reference.
std::string noise(std::size_t size, std::uint64_t seed) {
  std::string out(size, '\0');
  for (auto& c : out) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    c = static_cast<char>(seed >> 56);
  }
  return out;
}

const std::string kBaseLayer = make_layer_tar({{"etc/os-release", "ID=fixture\n"}});

// Release 1 of the app: two binaries. Release 2 changes a few bytes of one and adds a file.
std::string app_layer(int release) {
  auto tool = noise(300000, 7);
  const auto lib = noise(200000, 8);
  Files files{{"app/bin/tool", tool}, {"app/lib/libapp.so", lib}};
  if (release == 2) {
    for (std::size_t at = 1000; at < tool.size(); at += 50000) tool[at] = static_cast<char>(tool[at] ^ 0x55);
    files = {{"app/bin/tool", tool}, {"app/lib/libapp.so", lib}, {"app/VERSION", "2\n"}};
  }
  return make_layer_tar(files);
}

FixtureImage release(int number) { return {{"app:" + std::to_string(number)}, {kBaseLayer, app_layer(number)}}; }

struct DeltaFiles {
  TempDir dir;
  fs::path base = dir / "base.tar";
  fs::path previous = dir / "app-1.tar";
  fs::path target = dir / "app-2.tar";
  fs::path delta = dir / "app-2.delta.tar";
  fs::path report = dir / "report.json";

  explicit DeltaFiles(const FixtureOptions& options = {}) {
    write_fixture_file(base, {{{"base:1"}, {kBaseLayer}}}, options);
    write_fixture_file(previous, {release(1)}, options);
    write_fixture_file(target, {release(2)}, options);
  }

  int slim(Compression compression = Compression::none) const {
    commands::SlimOptions slim;
    slim.targets = commands::parse_sources({target.string()});
    slim.bases = commands::parse_sources({base.string()});
    slim.delta_from = commands::parse_sources({previous.string()});
    slim.output = delta.string();
    slim.report_path = report.string();
    slim.compression = compression;
    slim.quiet = true;
    return commands::run_slim(slim);
  }

  commands::RestoreOptions restore(const std::vector<fs::path>& bases) const {
    commands::RestoreOptions restore;
    restore.slim = commands::Source(delta.string());
    for (const auto& path : bases) restore.bases.emplace_back(path.string());
    restore.output = (dir / "full.tar").string();
    restore.progress = progress::Mode::none;
    return restore;
  }
};

class DeltaLayouts : public ::testing::TestWithParam<FixtureLayout> {};

TEST_P(DeltaLayouts, SlimDeltaFromShipsAPatchThatRestoreRebuildsByteForByte) {
  const DeltaFiles files(FixtureOptions{.layout = GetParam()});
  ASSERT_EQ(files.slim(), 0);

  const auto delta = read_tar(read_file(files.delta));
  // Nothing an engine loads at the root: docker load, podman load and ctr import refuse it.
  for (const auto* path : {"manifest.json", "index.json", "oci-layout", "repositories"}) EXPECT_EQ(delta.count(path), 0U) << path;
  const auto record = plan::delta_record_from(json::parse(delta.at("dockerdiff.json").content), "record");
  ASSERT_EQ(record.patches.size(), 1U);
  const auto& patch = record.patches.front();
  EXPECT_EQ(patch.diff_id, diff_id_of(app_layer(2)));
  EXPECT_EQ(patch.reference.diff_id, diff_id_of(app_layer(1)));
  EXPECT_EQ(patch.reference.chain_id, chain_ids_of({kBaseLayer, app_layer(1)})[1]);
  EXPECT_EQ(patch.reference.images, std::vector<std::string>{"app:1"});
  EXPECT_EQ(patch.reference.provided_by, files.previous.string());
  ASSERT_EQ(patch.parts.size(), 1U);
  // 500 kB of noise, 6 bytes changed and a file added: the patch holds the change, not the layer.
  EXPECT_LT(patch.patch_bytes(), 4096U);
  EXPECT_EQ(delta.at("patches/" + patch.parts.front().patch).content.size(), patch.parts.front().patch_size);
  EXPECT_EQ(delta.at("slim/" + patch.path).content, "");  // the layer's data left out

  // The report says which layer went as a patch, against what.
  const auto report = json::parse(read_file(files.report));
  EXPECT_EQ(report["outputs"][0]["delta"], true);
  const auto& layers = report["images"][0]["layers"];
  EXPECT_EQ(layers[0]["state"], "dropped");
  EXPECT_EQ(layers[1]["state"], "delta");
  EXPECT_EQ(layers[1]["delta"]["patch_bytes"], patch.patch_bytes());
  EXPECT_EQ(layers[1]["delta"]["reference_chain_id"], patch.reference.chain_id);

  EXPECT_EQ(commands::run_restore(files.restore({files.base, files.previous})), 0);
  const auto full = read_file(files.dir / "full.tar");
  std::size_t checked = 0;
  EXPECT_EQ(check_layers_read_back(full, &checked), std::vector<std::string>{});
  EXPECT_EQ(checked, 2U);
  const auto images = list_archive_images(read_tar(full));
  ASSERT_EQ(images.size(), 1U);
  EXPECT_EQ(images[0].tags, std::vector<std::string>{"app:2"});
  EXPECT_EQ(images[0].diff_ids, (std::vector<std::string>{diff_id_of(kBaseLayer), diff_id_of(app_layer(2))}));
}

INSTANTIATE_TEST_SUITE_P(Layouts, DeltaLayouts, ::testing::Values(FixtureLayout::legacy, FixtureLayout::docker25, FixtureLayout::oci),
                         [](const auto& param_info) {
                           return param_info.param == FixtureLayout::legacy ? "legacy" : param_info.param == FixtureLayout::docker25 ? "docker25" : "oci";
                         });

TEST(Delta, ACompressedDeltaArchiveAndAReferenceInAGzipBlob) {
  DeltaFiles files;
  // The previous release as a registry would give it: gzip layer blobs in an OCI archive.
  write_fixture_file(files.previous, {release(1)}, FixtureOptions{.layout = FixtureLayout::oci, .layer_compression = Compression::gzip});
  ASSERT_EQ(files.slim(Compression::zstd), 0);
  const auto record = plan::delta_record_from(json::parse(read_tar(read_file(files.delta)).at("dockerdiff.json").content), "record");
  ASSERT_EQ(record.patches.size(), 1U);
  EXPECT_EQ(record.patches[0].reference.size, app_layer(1).size());  // measured decompressed
  EXPECT_EQ(commands::run_restore(files.restore({files.base, files.previous})), 0);
  EXPECT_EQ(check_layers_read_back(read_file(files.dir / "full.tar")), std::vector<std::string>{});
}

TEST(Delta, ALayerWithNothingInCommonGoesWhole) {
  DeltaFiles files;
  write_fixture_file(files.target, {{{"app:2"}, {kBaseLayer, make_layer_tar({{"other/data", noise(100000, 99)}})}}});
  ASSERT_EQ(files.slim(), 0);
  const auto delta = read_tar(read_file(files.delta));
  EXPECT_TRUE(plan::delta_record_from(json::parse(delta.at("dockerdiff.json").content), "record").patches.empty());
  EXPECT_EQ(commands::run_restore(files.restore({files.base})), 0);
  EXPECT_EQ(check_layers_read_back(read_file(files.dir / "full.tar")), std::vector<std::string>{});
}

void expect_restore_refused(const DeltaFiles& files, const std::vector<fs::path>& bases, const std::string& part) {
  try {
    commands::run_restore(files.restore(bases));
    ADD_FAILURE() << "restore succeeded; expected an error with: " << part;
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
  }
  EXPECT_FALSE(fs::exists(files.dir / "full.tar"));
  EXPECT_EQ(temporary_files(files.dir.path()), std::vector<std::string>{});
}

TEST(Delta, WithoutTheReferenceNothingIsWrittenAndTheReferenceIsNamed) {
  const DeltaFiles files;
  ASSERT_EQ(files.slim(), 0);
  const auto chain = chain_ids_of({kBaseLayer, app_layer(1)})[1];
  expect_restore_refused(files, {files.base}, "chain ID " + chain + ") of app:1 (" + files.previous.string() + ")");
}

TEST(Delta, ACorruptPatchIsRefusedAndNothingIsWritten) {
  const DeltaFiles files;
  ASSERT_EQ(files.slim(), 0);
  const auto bytes = read_file(files.delta);
  const auto contents = read_tar(bytes);
  std::vector<RawEntry> entries;
  for (const auto& path : entry_order(bytes)) {
    const auto& entry = contents.at(path);
    auto content = entry.content;
    if (path.starts_with("patches/") && !content.empty()) content[content.size() / 2] = static_cast<char>(content[content.size() / 2] ^ 1);
    entries.push_back({path, content, entry.type, entry.link_target});
  }
  write_file(files.delta, write_raw_tar(entries));
  expect_restore_refused(files, {files.base, files.previous}, "patches/");
}

TEST(Delta, CheckNamesAMissingReference) {
  const DeltaFiles files;
  ASSERT_EQ(files.slim(), 0);
  const auto inventory = [&](const std::vector<std::string>& chains) {
    write_file(files.dir / "host.json", json(chains).dump());
    commands::CheckOptions check;
    check.archive = commands::Source(files.delta.string());
    check.inventory = (files.dir / "host.json").string();
    return commands::run_check(check);
  };
  const auto chains = chain_ids_of({kBaseLayer, app_layer(1)});
  EXPECT_EQ(inventory(chains), 0);
  EXPECT_EQ(inventory({chains[0]}), 1);
}

// The binary: slim --delta-from, inspect and verify of the delta archive (without bases: its patches'
// frames; with the bases: every patched layer rebuilt and rehashed), and one line and exit 1 for a
// corrupt patch.
TEST(Delta, ThroughTheBinary) {
  const DeltaFiles files;
  const RunOptions in_dir{.cwd = files.dir.path()};
  const auto slim = run_program(DOCKERDIFF_BIN, {"slim", "app-2.tar", "-b", "base.tar", "--delta-from", "app-1.tar", "-o", "delta.tar"}, in_dir);
  ASSERT_EQ(slim.status, 0) << slim.err;
  EXPECT_NE(slim.err.find("delta archive"), std::string::npos) << slim.err;
  EXPECT_NE(slim.err.find("1 as patches"), std::string::npos) << slim.err;

  const auto inspect = run_program(DOCKERDIFF_BIN, {"inspect", "delta.tar"}, in_dir);
  ASSERT_EQ(inspect.status, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("delta archive: 1 layer(s) as zstd patches"), std::string::npos) << inspect.out;
  const auto inspect_json = run_program(DOCKERDIFF_BIN, {"inspect", "--json", "delta.tar"}, in_dir);
  ASSERT_EQ(inspect_json.status, 0) << inspect_json.err;
  EXPECT_EQ(json::parse(inspect_json.out)["delta"]["patches"][0]["diff_id"], diff_id_of(app_layer(2)));

  for (const auto& bases : {std::vector<std::string>{}, std::vector<std::string>{"-b", "base.tar", "-b", "app-1.tar"}}) {
    std::vector<std::string> args{"verify", "delta.tar"};
    args.insert(args.end(), bases.begin(), bases.end());
    const auto verify = run_program(DOCKERDIFF_BIN, args, in_dir);
    EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  }
  // With the bases but not the reference: the layer cannot be rebuilt.
  const auto unrebuildable = run_program(DOCKERDIFF_BIN, {"verify", "delta.tar", "-b", "base.tar"}, in_dir);
  EXPECT_EQ(unrebuildable.status, 1);
  EXPECT_NE(unrebuildable.out.find("which no base holds"), std::string::npos) << unrebuildable.out;

  // A patch cut short: verify names it without any base, load and restore refuse in one line.
  const auto bytes = read_file(files.dir / "delta.tar");
  const auto contents = read_tar(bytes);
  std::vector<RawEntry> entries;
  for (const auto& path : entry_order(bytes)) {
    const auto& entry = contents.at(path);
    entries.push_back({path, path.starts_with("patches/") ? entry.content.substr(0, entry.content.size() - 3) : entry.content, entry.type,
                       entry.link_target});
  }
  write_file(files.dir / "cut.tar", write_raw_tar(entries));
  const auto cut = run_program(DOCKERDIFF_BIN, {"verify", "cut.tar"}, in_dir);
  EXPECT_EQ(cut.status, 1);
  EXPECT_NE(cut.out.find("patches/"), std::string::npos) << cut.out;
  const auto restore = run_program(DOCKERDIFF_BIN, {"restore", "cut.tar", "-b", "base.tar", "-b", "app-1.tar", "-o", "full.tar"}, in_dir);
  EXPECT_EQ(restore.status, 1);
  EXPECT_EQ(std::count(restore.err.begin(), restore.err.end(), '\n'), 1) << restore.err;
  EXPECT_FALSE(fs::exists(files.dir / "full.tar"));
}

TEST(DeltaRecord, RoundTripsAndRefusesWhatIsNotSound) {
  const auto digest = [](const std::string& text) { return sha256_digest(text); };
  plan::DeltaRecord record;
  record.patches.push_back({"blobs/sha256/" + std::string(digest_hex(digest("new"))), digest("new"), 1000,
                            {digest("old"), digest("chain"), 900, "app-1.tar", {"app:1"}},
                            {{"a.0.zst", 10, 0, 600, 0, 900}, {"a.1.zst", 20, 600, 400, 100, 800}}});
  const auto text = plan::delta_record_json(record);
  EXPECT_EQ(plan::delta_record_from(json::parse(text), "r"), record);

  const auto refused = [&](const std::function<void(json&)>& change, const std::string& part) {
    auto document = json::parse(text);
    change(document);
    try {
      plan::delta_record_from(document, "r");
      ADD_FAILURE() << "accepted; expected an error with: " << part;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
    }
  };
  refused([](json& d) { d["schema"] = "dockerdiff.slim/v1"; }, "not a delta record");
  refused([](json& d) { d["patches"][0]["parts"][1]["offset"] = 500U; }, "do not cover the layer in order");
  refused([](json& d) { d["patches"][0]["size"] = 1001U; }, "do not cover the layer");
  refused([](json& d) { d["patches"][0]["parts"][1]["reference_offset"] = 101U; }, "reaches past its reference");
  refused([](json& d) { d["patches"][0]["parts"][0]["patch"] = "../escape.zst"; }, "not an entry name below patches/");
  refused([](json& d) { d["patches"][0]["path"] = "/etc/passwd"; }, "not an entry name below slim/");
  refused([](json& d) { d["patches"][0]["reference"]["chain_id"] = "sha256:short"; }, "is not a sha256 digest");
  refused([](json& d) { d["patches"][0]["parts"][0]["size"] = -1; }, "is not a byte count");
  // A few bytes that claim to rebuild far more than they can hold.
  refused(
      [&](json& d) {
        const auto huge = limits::patched_layer_limit(900, 10) + 1;
        d["patches"][0]["size"] = huge + 400;
        d["patches"][0]["parts"][0]["size"] = huge;
        d["patches"][0]["parts"][1]["offset"] = huge;
      },
      "over the limit for patches");
}

TEST(PatchParts, OnePartInOneWindowElsePartsThatEachFitWithTheirReference) {
  EXPECT_EQ(plan::plan_patch_parts(600, 400, 1000), (std::vector<plan::PatchPart>{{{}, 0, 0, 400, 0, 600}}));
  for (const auto& [reference, target] : {std::pair<std::uint64_t, std::uint64_t>{5000, 4000}, {100, 9000}, {9000, 100}, {0, 3000}}) {
    const std::uint64_t window = 1000;
    const auto parts = plan::plan_patch_parts(reference, target, window);
    std::uint64_t covered = 0;
    for (const auto& part : parts) {
      EXPECT_EQ(part.offset, covered);
      EXPECT_LE(part.size + part.reference_size, window);
      EXPECT_LE(part.reference_offset + part.reference_size, reference);
      covered += part.size;
    }
    EXPECT_EQ(covered, target) << reference << " " << target;
  }
}

TEST(ChooseReferences, SameRepositoryAndPositionFirstThenPositionThenSize) {
  const auto layer = [](std::string diff_id, std::uint64_t size, std::size_t position, std::string tag) {
    return plan::PatchableLayer{"", 0, 0, std::move(diff_id), size, position, {std::move(tag)}};
  };
  const auto candidate = [](std::string diff_id, std::uint64_t size, std::size_t position, std::string tag) {
    plan::ReferenceCandidate c;
    c.position = position;
    c.tags = {std::move(tag)};
    c.stored_size = size;
    c.layer.diff_id = std::move(diff_id);
    return c;
  };
  const std::vector<plan::ReferenceCandidate> candidates{candidate("a", 100, 1, "other:1"), candidate("b", 5000, 1, "registry:5000/app:1"),
                                                         candidate("c", 1000, 2, "other:1")};
  const auto chosen = plan::choose_references(
      {layer("x", 1000, 1, "registry:5000/app:2"), layer("y", 1000, 1, "db:2"), layer("z", 990, 7, "app:2"), layer("c", 1000, 2, "app:2")},
      candidates);
  EXPECT_EQ(chosen, (std::vector<std::optional<std::size_t>>{1, 0, 2, 0}));
}

}  // namespace
}  // namespace dockerdiff::testing
