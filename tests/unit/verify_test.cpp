// `dockerdiff verify`, run as the real executable: sound archives in every layout exit 0; slim
// outputs are sound, and with -b every emptied layer must be provided by a base; each kind of
// corruption is reported with its path, and every problem of an archive is listed, not only the first.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/image/verify.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
using dockerdiff::archive::Compression;
using dockerdiff::archive::EntryType;
using nlohmann::json;
namespace fx = dockerdiff::testing;

constexpr int kTimeoutSeconds = 60;

const std::string& other_layer() {
  static const std::string layer = fx::make_layer_tar({{"other/file", std::string(3000, 'o')}});
  return layer;
}

std::vector<fx::FixtureImage> app_images() { return {{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}}; }

// Rewrites an archive entry by entry (order kept); `edit` may change contents or drop entries.
std::string rewrite(const std::string& bytes, const std::function<void(std::vector<fx::RawEntry>&)>& edit,
                    Compression compression = Compression::none) {
  const auto contents = fx::read_tar(bytes);
  std::vector<fx::RawEntry> entries;
  for (const auto& path : fx::entry_order(bytes)) {
    const auto& entry = contents.at(path);
    entries.push_back({path, entry.content, entry.type, entry.link_target});
  }
  edit(entries);
  return fx::write_raw_tar(entries, compression);
}

fx::RawEntry& entry_named(std::vector<fx::RawEntry>& entries, const std::string& path) {
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const fx::RawEntry& e) { return e.path == path; });
  if (it == entries.end()) throw std::runtime_error("no entry " + path);
  return *it;
}

// The first image of an archive as an independent reader sees it.
fx::ArchiveImage first_image(const std::string& bytes) { return fx::list_archive_images(fx::read_tar(bytes)).at(0); }

// The regular entry a layer path names (links followed), for flipping bytes in.
std::string data_path(const std::string& bytes, const std::string& path) {
  const auto contents = fx::read_tar(bytes);
  std::string current = path;
  for (int hop = 0; hop < 8; ++hop) {
    const auto& entry = contents.at(current);
    if (entry.type == EntryType::regular) return current;
    if (entry.type == EntryType::hardlink) {
      current = entry.link_target;
    } else {
      const auto slash = current.rfind('/');
      current = (slash == std::string::npos ? std::string() : current.substr(0, slash + 1)) + entry.link_target;
      // "../x" relative to "a/b": good enough for the fixture's links
      while (current.find("/../") != std::string::npos) {
        const auto at = current.find("/../");
        const auto start = current.rfind('/', at - 1);
        current.erase(start == std::string::npos ? 0 : start + 1, at + 4 - (start == std::string::npos ? 0 : start + 1));
      }
    }
  }
  throw std::runtime_error("link loop at " + path);
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = root_ / "work";
    fs::create_directories(work_);
  }

  fx::RunResult run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) const {
    fx::RunOptions options;
    options.cwd = work_;
    options.env = env;
    options.timeout_seconds = kTimeoutSeconds;
    return fx::run_program(DOCKERDIFF_BIN, args, options);
  }

  // verify ARCHIVE [...] --json, parsed.
  json verify_json(const std::vector<std::string>& args, int expected_status) const {
    auto full = args;
    full.insert(full.begin(), "verify");
    full.push_back("--json");
    SCOPED_TRACE(fx::command_line(full));
    const auto result = run(full);
    EXPECT_EQ(result.status, expected_status) << "stdout: " << result.out << "\nstderr: " << result.err;
    try {
      return json::parse(result.out);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "not JSON: " << result.out;
      return json::object();
    }
  }

  // Runs verify in text form: exit `expected_status`; returns stdout (one line per problem).
  std::string verify_text(const std::vector<std::string>& args, int expected_status,
                          const std::vector<std::string>& env = {}) const {
    auto full = args;
    full.insert(full.begin(), "verify");
    SCOPED_TRACE(fx::command_line(full));
    const auto result = run(full, env);
    EXPECT_EQ(result.status, expected_status) << "stdout: " << result.out << "\nstderr: " << result.err;
    return result.out;
  }

  // The archive is reported unsound, with a problem line for `path` containing each of `parts`.
  void expect_problem(const std::string& archive, const std::string& path, const std::vector<std::string>& parts) const {
    const auto out = verify_text({archive}, 1);
    bool found = false;
    std::size_t start = 0;
    while (start < out.size()) {
      const auto end = out.find('\n', start);
      const auto line = out.substr(start, end - start);
      start = end == std::string::npos ? out.size() : end + 1;
      if (!line.starts_with(archive + ": ") || line.find(path) == std::string::npos) continue;
      bool all = true;
      for (const auto& part : parts) all &= line.find(part) != std::string::npos;
      found |= all;
    }
    EXPECT_TRUE(found) << "no problem for " << path << " with the expected text in:\n" << out;
  }

  void write(const std::string& name, const std::string& bytes) const { fx::write_file(work_ / name, bytes); }

  const fx::TempDir root_{"dockerdiff-verify"};
  fs::path work_;
};

// ---------------------------------------------------------------------------------------------
// Sound archives.

struct LayoutCase {
  const char* name;
  fx::FixtureLayout layout;
  Compression archive_compression;
  Compression layer_compression;
  bool nested_index;
};

const LayoutCase kLayouts[] = {
    {"legacy", fx::FixtureLayout::legacy, Compression::none, Compression::none, false},
    {"legacy_gz", fx::FixtureLayout::legacy, Compression::gzip, Compression::none, false},
    {"legacy_zst", fx::FixtureLayout::legacy, Compression::zstd, Compression::none, false},
    {"docker25", fx::FixtureLayout::docker25, Compression::none, Compression::none, false},
    {"docker25_gz", fx::FixtureLayout::docker25, Compression::gzip, Compression::none, false},
    {"oci", fx::FixtureLayout::oci, Compression::none, Compression::none, false},
    {"oci_gzip_blobs", fx::FixtureLayout::oci, Compression::none, Compression::gzip, false},
    {"oci_zstd_blobs", fx::FixtureLayout::oci, Compression::none, Compression::zstd, false},
    {"oci_gzip_blobs_zst", fx::FixtureLayout::oci, Compression::zstd, Compression::gzip, false},
    {"oci_zstd_blobs_gz", fx::FixtureLayout::oci, Compression::gzip, Compression::zstd, false},
    {"oci_nested", fx::FixtureLayout::oci, Compression::none, Compression::gzip, true},
};

class VerifySoundTest : public VerifyTest, public ::testing::WithParamInterface<LayoutCase> {};

TEST_P(VerifySoundTest, ExitsZeroAndCountsEveryLayer) {
  const auto& param = GetParam();
  fx::FixtureOptions options;
  options.layout = param.layout;
  options.archive_compression = param.archive_compression;
  options.layer_compression = param.layer_compression;
  options.nested_index = param.nested_index;
  // Two images sharing the base layer: each entry is checked once.
  write("app.tar", fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}, {{"other:1"}, {fx::sample_base_layer(), other_layer()}}},
                                     options));
  EXPECT_EQ(verify_text({"app.tar"}, 0), "");
  const auto report = verify_json({"app.tar"}, 0);
  EXPECT_EQ(report.value("archive", ""), "app.tar");
  EXPECT_EQ(report.value("sound", false), true);
  EXPECT_TRUE(report.at("problems").empty());
  EXPECT_EQ(report.value("layers_checked", 0), 3) << report.dump();
  if (param.layout != fx::FixtureLayout::legacy) {
    EXPECT_GE(report.value("blobs_checked", 0), 3) << report.dump();
  }
  // One worker gives the same answer.
  EXPECT_EQ(verify_text({"app.tar"}, 0, {"DOCKERDIFF_VERIFY_THREADS=1"}), "");
}

INSTANTIATE_TEST_SUITE_P(Layouts, VerifySoundTest, ::testing::ValuesIn(kLayouts),
                         [](const ::testing::TestParamInfo<LayoutCase>& param_info) { return std::string(param_info.param.name); });

TEST_F(VerifyTest, SoundLayoutDirectory) {
  fx::FixtureOptions options;
  options.layout = fx::FixtureLayout::oci;
  options.layer_compression = Compression::gzip;
  fx::write_fixture_directory(work_ / "layout", app_images(), options);
  const auto report = verify_json({"layout"}, 0);
  EXPECT_EQ(report.value("layers_checked", 0), 2) << report.dump();
}

TEST_F(VerifyTest, SlimOutputIsSoundAndBasesMustProvideEmptiedLayers) {
  write("base.tar", fx::write_fixture({{{"base:1"}, {fx::sample_base_layer()}}}));
  write("unrelated.tar", fx::write_fixture({{{"unrelated:1"}, {other_layer()}}}));
  for (const auto layout : {"auto", "keep"}) {
    SCOPED_TRACE(layout);
    write("app.tar", fx::write_fixture(app_images()));
    const auto slim = run({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "-q", "--layout", layout});
    ASSERT_EQ(slim.status, 0) << slim.err;
    // Without bases an emptied layer is fine; only the app layer is rehashed.
    const auto report = verify_json({"out.tar"}, 0);
    EXPECT_EQ(report.value("layers_checked", 0), 1) << report.dump();
    verify_json({"out.tar", "-b", "base.tar"}, 0);
    const auto missing = verify_json({"out.tar", "-b", "unrelated.tar"}, 1);
    ASSERT_EQ(missing.at("problems").size(), 1u) << missing.dump();
    EXPECT_NE(missing.at("problems")[0].value("problem", "").find("not provided by any base"), std::string::npos)
        << missing.dump();
    EXPECT_NE(missing.at("problems")[0].value("problem", "").find(fx::diff_id_of(fx::sample_base_layer())), std::string::npos)
        << missing.dump();
    fs::remove(work_ / "out.tar");
  }
}

// ---------------------------------------------------------------------------------------------
// Corruptions.

// A byte flipped in the middle of an entry's content.
void flip(std::string& content) {
  ASSERT_FALSE(content.empty());
  content[content.size() / 2] = static_cast<char>(content[content.size() / 2] ^ 0x20);
}

TEST_F(VerifyTest, FlippedByteInLegacyLayer) {
  for (const auto compression : {Compression::none, Compression::gzip}) {
    SCOPED_TRACE(std::string(dockerdiff::archive::compression_name(compression)));
    const auto bytes = fx::write_fixture(app_images());
    const auto layer = data_path(bytes, first_image(bytes).layer_paths.at(1));
    write("bad.tar", rewrite(bytes, [&](auto& entries) { flip(entry_named(entries, layer).content); }, compression));
    expect_problem("bad.tar", layer, {"does not match its diff_id", fx::diff_id_of(fx::sample_app_layer())});
  }
}

TEST_F(VerifyTest, FlippedByteInCompressedOciLayer) {
  for (const auto layer_compression : {Compression::gzip, Compression::zstd, Compression::none}) {
    SCOPED_TRACE(std::string(dockerdiff::archive::compression_name(layer_compression)));
    fx::FixtureOptions options;
    options.layout = fx::FixtureLayout::oci;
    options.layer_compression = layer_compression;
    const auto bytes = fx::write_fixture(app_images(), options);
    const auto layer = first_image(bytes).layer_paths.at(1);
    write("bad.tar", rewrite(bytes, [&](auto& entries) { flip(entry_named(entries, layer).content); }));
    // The blob no longer matches its name, whatever decompressing it gives.
    expect_problem("bad.tar", layer, {"does not match its"});
  }
}

TEST_F(VerifyTest, CompressedBlobWhoseDataDoesNotMatchDiffId) {
  // A well-formed gzip blob named by its own digest, but holding other data than the diff_id says.
  fx::FixtureOptions options;
  options.layout = fx::FixtureLayout::oci;
  options.layer_compression = Compression::gzip;
  const auto good = fx::write_fixture(app_images(), options);
  const auto other = fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), other_layer()}}}, options);
  // Take the config (and index/manifest) of `good` with the layer blob of `other`: the manifest
  // names the blob by its digest, so only the diff_id check can tell.
  const auto good_image = first_image(good);
  const auto other_image = first_image(other);
  write("bad.tar", rewrite(other, [&](auto& entries) {
          const auto good_contents = fx::read_tar(good);
          entry_named(entries, other_image.config_path).content = good_contents.at(good_image.config_path).content;
          entry_named(entries, other_image.config_path).path = good_image.config_path;
          // the manifest now names the good config
          auto& manifest = entry_named(entries, "blobs/sha256/" + std::string(dockerdiff::digest_hex(other_image.manifest_digest)));
          const auto from = std::string(dockerdiff::digest_hex(other_image.config_path.substr(13)));
          const auto to = good_image.config_path.substr(13);
          manifest.content.replace(manifest.content.find(from), from.size(), to);
          const auto digest = dockerdiff::sha256_digest(manifest.content);
          auto& index = entry_named(entries, "index.json");
          const auto old_hex = std::string(dockerdiff::digest_hex(other_image.manifest_digest));
          index.content.replace(index.content.find(old_hex), old_hex.size(), std::string(dockerdiff::digest_hex(digest)));
          manifest.path = "blobs/sha256/" + std::string(dockerdiff::digest_hex(digest));
        }));
  expect_problem("bad.tar", other_image.layer_paths.at(1), {"decompressed content does not match its diff_id",
                                                           fx::diff_id_of(fx::sample_app_layer())});
}

TEST_F(VerifyTest, BlobWhoseContentDoesNotMatchItsName) {
  fx::FixtureOptions options;
  options.layout = fx::FixtureLayout::docker25;
  const auto bytes = fx::write_fixture(app_images(), options);
  const auto stray = "blobs/sha256/" + std::string(64, 'a');
  write("bad.tar", rewrite(bytes, [&](auto& entries) { entries.push_back({stray, std::string(5000, 'x'), EntryType::regular, ""}); }));
  expect_problem("bad.tar", stray, {"does not match its digest sha256:" + std::string(64, 'a')});
}

TEST_F(VerifyTest, ConfigDigestMismatch) {
  for (const auto layout : {fx::FixtureLayout::legacy, fx::FixtureLayout::oci, fx::FixtureLayout::docker25}) {
    SCOPED_TRACE(static_cast<int>(layout));
    fx::FixtureOptions options;
    options.layout = layout;
    const auto bytes = fx::write_fixture(app_images(), options);
    const auto config = first_image(bytes).config_path;
    // Still valid JSON with the same diff_ids: only the digest tells.
    write("bad.tar", rewrite(bytes, [&](auto& entries) { entry_named(entries, config).content += "\n"; }));
    expect_problem("bad.tar", config, {"does not match its digest"});
  }
}

TEST_F(VerifyTest, LayerCountMismatch) {
  const auto bytes = fx::write_fixture(app_images());
  const auto image = first_image(bytes);
  write("bad.tar", rewrite(bytes, [&](auto& entries) {
          auto manifest = json::parse(entry_named(entries, "manifest.json").content);
          manifest[0]["Layers"].erase(1);
          entry_named(entries, "manifest.json").content = manifest.dump();
        }));
  expect_problem("bad.tar", image.config_path, {"config lists 2 diff_ids but manifest.json lists 1 layers"});
}

TEST_F(VerifyTest, MissingLayerFile) {
  fx::FixtureOptions options;
  options.layout = fx::FixtureLayout::oci;
  const auto bytes = fx::write_fixture(app_images(), options);
  const auto layer = first_image(bytes).layer_paths.at(1);
  write("bad.tar", rewrite(bytes, [&](auto& entries) {
          entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const fx::RawEntry& e) { return e.path == layer; }),
                        entries.end());
        }));
  expect_problem("bad.tar", layer, {"not in the archive"});
}

TEST_F(VerifyTest, TwoIndependentProblemsAreBothListed) {
  const auto bytes = fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer(), other_layer()}}});
  const auto image = first_image(bytes);
  const auto flipped = data_path(bytes, image.layer_paths.at(1));
  const auto missing = data_path(bytes, image.layer_paths.at(2));
  write("bad.tar", rewrite(bytes, [&](auto& entries) {
          flip(entry_named(entries, flipped).content);
          entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const fx::RawEntry& e) { return e.path == missing; }),
                        entries.end());
        }));
  const auto out = verify_text({"bad.tar"}, 1);
  EXPECT_NE(out.find("bad.tar: " + flipped + ": content does not match its diff_id"), std::string::npos) << out;
  EXPECT_NE(out.find(missing), std::string::npos) << out;
  EXPECT_NE(out.find("not in the archive"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  const auto report = verify_json({"bad.tar"}, 1);
  EXPECT_EQ(report.value("sound", true), false);
  EXPECT_EQ(report.at("problems").size(), 2u) << report.dump();
  // The layers present were still rehashed (the flipped one and the intact one).
  EXPECT_EQ(report.value("layers_checked", 0), 2) << report.dump();
}

TEST_F(VerifyTest, ProblemsInTwoBlobsOfACompressedArchive) {
  fx::FixtureOptions options;
  options.layout = fx::FixtureLayout::oci;
  options.layer_compression = Compression::gzip;
  const auto bytes = fx::write_fixture(app_images(), options);
  const auto image = first_image(bytes);
  write("bad.tar.zst", rewrite(bytes, [&](auto& entries) {
          flip(entry_named(entries, image.layer_paths.at(0)).content);
          entry_named(entries, image.config_path).content += " ";
        }, Compression::zstd));
  const auto report = verify_json({"bad.tar.zst"}, 1);
  std::string all;
  for (const auto& problem : report.at("problems")) all += problem.value("message", "") + "\n";
  EXPECT_NE(all.find(image.layer_paths.at(0) + ": "), std::string::npos) << all;
  EXPECT_NE(all.find(image.config_path + ": content does not match its digest"), std::string::npos) << all;
}

TEST_F(VerifyTest, NotAnArchiveIsOneProblem) {
  write("junk.tar", std::string(4096, 'j'));
  const auto report = verify_json({"junk.tar"}, 1);
  EXPECT_EQ(report.at("problems").size(), 1u) << report.dump();
  const auto missing = run({"verify", "nothere.tar"});
  EXPECT_EQ(missing.status, 1);
}

// The library entry point, without the executable: one worker or many give the same result.
TEST_F(VerifyTest, LibraryThreadsAgree) {
  const auto bytes = fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer(), other_layer()}}});
  const auto layer = data_path(bytes, first_image(bytes).layer_paths.at(2));
  write("bad.tar", rewrite(bytes, [&](auto& entries) { flip(entry_named(entries, layer).content); }));
  for (const unsigned threads : {1u, 2u, 8u}) {
    auto input = dockerdiff::archive::open_tar_archive(work_ / "bad.tar", "bad.tar");
    dockerdiff::image::VerifySettings settings;
    settings.threads = threads;
    const auto result = dockerdiff::image::verify_archive(*input, settings);
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0].path, layer);
    EXPECT_EQ(result.layers_checked, 3u);
  }
}

}  // namespace
