// A property test: random layer pools, random bases (archives of every layout and compression,
// layout directories, inventories), random targets that share prefixes with the bases, share
// diff_ids at other positions and repeat layers. Whatever the shape, a layer is dropped exactly when
// its chain ID is among the bases' chain IDs (computed here, independently of the tool), a dropped
// layer costs no data unless a kept layer needs the same bytes, and every kept layer reads back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dockerdiff/commands/slim.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"

namespace dockerdiff::testing {
namespace {

namespace fs = std::filesystem;
using archive::Compression;
using archive::EntryType;
using nlohmann::json;
using plan::LayoutMode;

constexpr std::uint32_t kSeed = 0x5eed2024;
constexpr int kIterations = 300;

// The seed and iteration count are fixed; DOCKERDIFF_PROPERTY_SEED / _ITERATIONS override them to
// explore further by hand (a failure prints the seed and iteration that reproduce it).
std::uint32_t seed() {
  const char* text = std::getenv("DOCKERDIFF_PROPERTY_SEED");
  return text != nullptr ? static_cast<std::uint32_t>(std::stoul(text)) : kSeed;
}
int iterations() {
  const char* text = std::getenv("DOCKERDIFF_PROPERTY_ITERATIONS");
  return text != nullptr ? std::stoi(text) : kIterations;
}

class Random {
 public:
  explicit Random(std::uint32_t seed) : engine_(seed) {}
  // Uniform in [low, high].
  std::size_t between(std::size_t low, std::size_t high) { return std::uniform_int_distribution<std::size_t>(low, high)(engine_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(engine_); }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[between(0, items.size() - 1)];
  }

 private:
  std::mt19937 engine_;
};

const char* layout_name(FixtureLayout layout) {
  switch (layout) {
    case FixtureLayout::legacy: return "legacy";
    case FixtureLayout::docker25: return "docker25";
    case FixtureLayout::oci: return "oci";
  }
  return "?";
}

std::string random_layer(Random& random, const std::string& name) {
  std::string data;
  const auto lines = random.between(1, 30);
  for (std::size_t i = 0; i < lines; ++i) data += name + " " + std::to_string(random.between(0, 1U << 30)) + "\n";
  Files files{{"layer/" + name, data}};
  if (random.chance(0.3)) files.emplace_back("etc/" + name + ".conf", "x=" + std::to_string(random.between(0, 9)) + "\n");
  return make_layer_tar(files);
}

FixtureOptions random_options(Random& random, bool directory) {
  FixtureOptions options;
  options.layout = directory ? random.pick(std::vector<FixtureLayout>{FixtureLayout::docker25, FixtureLayout::oci})
                             : random.pick(std::vector<FixtureLayout>{FixtureLayout::legacy, FixtureLayout::docker25, FixtureLayout::oci});
  if (!directory && random.chance(0.35)) {
    options.archive_compression = random.pick(std::vector<Compression>{Compression::gzip, Compression::zstd, Compression::xz, Compression::bzip2});
  }
  if (options.layout == FixtureLayout::oci) {
    options.layer_compression = random.pick(std::vector<Compression>{Compression::none, Compression::gzip, Compression::zstd});
    options.nested_index = random.chance(0.3);
  }
  options.link_repeated_layers = random.chance(0.85);
  options.use_hardlinks = random.chance(0.4);
  return options;
}

std::string describe(const FixtureOptions& options) {
  std::ostringstream out;
  out << layout_name(options.layout) << " archive=" << archive::compression_name(options.archive_compression)
      << " layers=" << archive::compression_name(options.layer_compression) << (options.nested_index ? " nested" : "")
      << (options.link_repeated_layers ? (options.use_hardlinks ? " hardlinks" : " symlinks") : " copies");
  return out.str();
}

std::vector<std::string> diff_ids(const std::vector<std::string>& layers) {
  std::vector<std::string> out;
  for (const auto& l : layers) out.push_back(diff_id_of(l));
  return out;
}

// Writes the archive; a legacy one without hard links sometimes in the order `docker save` really
// uses (a directory walk: names sorted, so a layer's symlink may come before the file it points to).
void write_archive(Random& random, const std::string& path, const std::vector<FixtureImage>& images,
                   const FixtureOptions& options, std::ostringstream& trace) {
  const auto bytes = write_fixture(images, options);
  const bool can_sort = options.layout == FixtureLayout::legacy && !(options.link_repeated_layers && options.use_hardlinks);
  if (!can_sort || !random.chance(0.4)) {
    write_file(path, bytes);
    return;
  }
  const auto contents = read_tar(bytes);
  auto order = entry_order(bytes);
  std::sort(order.begin(), order.end());
  std::vector<RawEntry> entries;
  for (const auto& name : order) {
    const auto& entry = contents.at(name);
    entries.push_back({entry.type == EntryType::directory ? name + "/" : name, entry.content, entry.type, entry.link_target});
  }
  write_file(path, write_raw_tar(entries, options.archive_compression));
  trace << " (sorted)";
}

// An inventory document of a random accepted shape describing `images`.
json random_inventory(Random& random, const std::vector<FixtureImage>& images, std::string& shape) {
  switch (random.between(0, 4)) {
    case 0: {
      shape = "chain_id_list";
      json chains = json::array();
      for (const auto& image : images) {
        for (const auto& chain : chain_ids_of(image.layers)) chains.push_back(chain);
      }
      return chains;
    }
    case 1: {
      shape = "diff_id_lists";
      json lists = json::array();
      for (const auto& image : images) lists.push_back(diff_ids(image.layers));
      return lists;
    }
    case 2: {
      shape = "chain_ids_object";
      json chains = json::array();
      for (const auto& image : images) {
        for (const auto& chain : chain_ids_of(image.layers)) chains.push_back(chain);
      }
      json document = json::object();
      document["chain_ids"] = chains;
      return document;
    }
    case 3: {
      shape = "images_object";
      json list = json::array();
      for (const auto& image : images) {
        json item = json::object();
        item["tags"] = image.tags;
        item["diff_ids"] = diff_ids(image.layers);
        list.push_back(item);
      }
      json document = json::object();
      document["images"] = list;
      return document;
    }
    default: {
      shape = "docker_inspect";
      json list = json::array();
      for (const auto& image : images) {
        json item = json::object();
        item["Id"] = "sha256:" + std::string(64, 'b');
        item["RepoTags"] = image.tags;
        item["RootFS"] = json::object();
        item["RootFS"]["Type"] = "layers";
        item["RootFS"]["Layers"] = diff_ids(image.layers);
        list.push_back(item);
      }
      return list;
    }
  }
}

TEST(SlimProperty, DroppedExactlyWhenTheChainIdIsInABase) {
  const auto run_seed = seed();
  const auto run_iterations = iterations();
  Random random(run_seed);
  const TempDir root("dockerdiff-property");
  std::size_t total_dropped = 0;
  std::size_t total_kept = 0;
  std::size_t dropped_with_kept_twin = 0;

  for (int iteration = 0; iteration < run_iterations; ++iteration) {
    const auto dir = root / std::to_string(iteration);
    fs::create_directories(dir);
    std::ostringstream trace;
    trace << "seed " << run_seed << " iteration " << iteration;

    // The pool of layers everything is built from.
    std::vector<std::string> pool;
    const auto pool_size = random.between(3, 9);
    for (std::size_t i = 0; i < pool_size; ++i) pool.push_back(random_layer(random, "i" + std::to_string(iteration) + "l" + std::to_string(i)));
    const auto random_layers = [&](std::size_t low, std::size_t high) {
      std::vector<std::string> layers;
      const auto count = random.between(low, high);
      for (std::size_t i = 0; i < count; ++i) layers.push_back(random.pick(pool));
      return layers;
    };

    // Bases: one to three images, spread over one or two -b arguments of random kinds.
    std::vector<FixtureImage> base_images;
    const auto base_count = random.between(1, 3);
    for (std::size_t i = 0; i < base_count; ++i) {
      base_images.push_back({{"base" + std::to_string(i) + ":" + std::to_string(iteration)}, random_layers(1, 4)});
    }
    const auto spec_count = base_images.size() > 1 && random.chance(0.5) ? 2U : 1U;
    std::vector<std::vector<FixtureImage>> spec_images(spec_count);
    for (std::size_t i = 0; i < base_images.size(); ++i) spec_images[i % spec_count].push_back(base_images[i]);
    std::vector<std::string> base_specs;
    for (std::size_t s = 0; s < spec_count; ++s) {
      const auto kind = random.between(0, 2);
      if (kind == 0) {
        const auto options = random_options(random, false);
        const auto path = (dir / ("base" + std::to_string(s) + ".tar")).string();
        trace << " | base " << s << ": archive " << describe(options);
        write_archive(random, path, spec_images[s], options, trace);
        base_specs.push_back(path);
      } else if (kind == 1) {
        const auto options = random_options(random, true);
        const auto path = (dir / ("base" + std::to_string(s) + "-layout")).string();
        write_fixture_directory(path, spec_images[s], options);
        trace << " | base " << s << ": directory " << describe(options);
        base_specs.push_back(path);
      } else {
        std::string shape;
        const auto document = random_inventory(random, spec_images[s], shape);
        const auto path = (dir / ("base" + std::to_string(s) + ".json")).string();
        write_file(path, document.dump());
        trace << " | base " << s << ": inventory " << shape;
        base_specs.push_back(path);
      }
    }
    // The expectation, from the fixture's layers: chain ID -> the first base (in -b order) that has it.
    std::map<std::string, std::string> base_chains;
    for (std::size_t s = 0; s < spec_count; ++s) {
      for (const auto& image : spec_images[s]) {
        for (const auto& chain : chain_ids_of(image.layers)) base_chains.try_emplace(chain, base_specs[s]);
      }
    }

    // Targets: one to three distinct images; some extend a base image, some reuse its layers elsewhere.
    std::vector<FixtureImage> targets;
    std::set<std::vector<std::string>> seen;
    const auto target_count = random.between(1, 3);
    for (std::size_t attempt = 0; targets.size() < target_count && attempt < 20; ++attempt) {
      std::vector<std::string> layers;
      const auto shape = random.between(0, 2);
      if (shape == 0) {  // a base image's prefix plus app layers
        const auto& base = random.pick(base_images);
        layers.assign(base.layers.begin(), base.layers.begin() + static_cast<std::ptrdiff_t>(random.between(1, base.layers.size())));
        for (const auto& extra : random_layers(0, 3)) layers.push_back(extra);
      } else if (shape == 1) {  // a base image's layers, shuffled or shifted: diff_ids at other positions
        const auto& base = random.pick(base_images);
        layers = random_layers(0, 2);
        for (const auto& l : base.layers) layers.push_back(l);
        if (random.chance(0.5)) std::reverse(layers.begin(), layers.end());
      } else {
        layers = random_layers(1, 5);
      }
      if (random.chance(0.25)) layers.push_back(layers.front());  // a repeated layer on top
      if (layers.empty() || !seen.insert(layers).second) continue;
      std::vector<std::string> tags;
      if (random.chance(0.85)) tags.push_back("target" + std::to_string(targets.size()) + ":" + std::to_string(iteration));
      targets.push_back({tags, layers});
    }
    // One archive, or (--bundle) the images split over two archives of one layout.
    const auto target_options = random_options(random, false);
    const bool bundle = targets.size() > 1 && random.chance(0.3);
    std::vector<std::string> target_paths{(dir / "target.tar").string()};
    if (bundle) {
      const auto split = static_cast<std::ptrdiff_t>(random.between(1, targets.size() - 1));
      auto second_options = random_options(random, false);
      second_options.layout = target_options.layout;
      target_paths.push_back((dir / "target2.tar").string());
      trace << " | target " << describe(target_options);
      write_archive(random, target_paths[0], {targets.begin(), targets.begin() + split}, target_options, trace);
      trace << " bundled with " << describe(second_options);
      write_archive(random, target_paths[1], {targets.begin() + split, targets.end()}, second_options, trace);
      trace << ", images " << split << " + " << (static_cast<std::ptrdiff_t>(targets.size()) - split);
    } else {
      trace << " | target " << describe(target_options);
      write_archive(random, target_paths[0], targets, target_options, trace);
      trace << ", images " << targets.size();
    }
    const auto mode = random.chance(0.5) ? LayoutMode::automatic : LayoutMode::keep;
    const auto output_compression = random.pick(std::vector<Compression>{Compression::none, Compression::gzip, Compression::zstd});
    trace << " | mode=" << (mode == LayoutMode::keep ? "keep" : "auto") << " out=" << archive::compression_name(output_compression);
    SCOPED_TRACE(trace.str());

    commands::SlimOptions options;
    options.targets = commands::parse_sources(target_paths);
    options.bundle = bundle;
    options.bases = commands::parse_sources(base_specs);
    options.output = (dir / "out.tar").string();
    options.layout = mode;
    options.compression = output_compression;
    options.report_path = (dir / "report.json").string();
    options.quiet = true;
    int status = -1;
    ASSERT_NO_THROW(status = commands::run_slim(options));
    ASSERT_EQ(status, 0);

    // The report's decisions are the expectation.
    const auto report = json::parse(read_file(options.report_path));
    ASSERT_EQ(report.at("images").size(), targets.size());
    std::set<std::string> kept_diff_ids;
    std::vector<std::vector<bool>> expected_dropped;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      const auto chains = chain_ids_of(targets[t].layers);
      const auto& layers = report.at("images")[t].at("layers");
      ASSERT_EQ(layers.size(), chains.size()) << "image " << t;
      EXPECT_EQ(report.at("images")[t].at("tags"), json(targets[t].tags));
      expected_dropped.emplace_back();
      for (std::size_t l = 0; l < chains.size(); ++l) {
        const auto base = base_chains.find(chains[l]);
        const bool dropped = base != base_chains.end();
        expected_dropped.back().push_back(dropped);
        EXPECT_EQ(layers[l].at("chain_id"), chains[l]) << "image " << t << " layer " << l;
        EXPECT_EQ(layers[l].at("diff_id"), diff_id_of(targets[t].layers[l])) << "image " << t << " layer " << l;
        EXPECT_EQ(layers[l].at("dropped").get<bool>(), dropped) << "image " << t << " layer " << l;
        if (dropped) {
          EXPECT_EQ(layers[l].at("provided_by"), base->second) << "image " << t << " layer " << l;
          ++total_dropped;
        } else {
          EXPECT_TRUE(layers[l].at("provided_by").is_null()) << "image " << t << " layer " << l;
          kept_diff_ids.insert(diff_id_of(targets[t].layers[l]));
          ++total_kept;
        }
      }
    }

    // The output: every image, every dropped layer empty unless a kept layer needs the same bytes.
    const auto bytes = read_file(options.output);
    EXPECT_EQ(report.at("output_bytes").get<std::uint64_t>(), bytes.size());
    std::uint64_t input_bytes = 0;
    for (const auto& path : target_paths) input_bytes += fs::file_size(path);
    EXPECT_EQ(report.at("input_bytes").get<std::uint64_t>(), input_bytes);
    EXPECT_EQ(archive::detect_compression(std::string_view(bytes).substr(0, 8)), output_compression);
    ArchiveContents contents;
    ASSERT_NO_THROW(contents = read_tar(bytes));
    const auto order = entry_order(bytes);
    EXPECT_EQ(std::set<std::string>(order.begin(), order.end()).size(), order.size()) << "an entry name appears twice";
    std::vector<ArchiveImage> images;
    ASSERT_NO_THROW(images = list_archive_images(contents));
    ASSERT_EQ(images.size(), targets.size());
    // The paths that kept layers name: a dropped layer may share one (one blob per digest), otherwise
    // its own entry holds no data (an empty file, or a link), whatever other copies exist.
    std::set<std::string> kept_paths;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      ASSERT_EQ(images[t].diff_ids, diff_ids(targets[t].layers)) << "image " << t;
      ASSERT_EQ(images[t].layer_paths.size(), targets[t].layers.size()) << "image " << t;
      for (std::size_t l = 0; l < targets[t].layers.size(); ++l) {
        if (!expected_dropped[t][l]) kept_paths.insert(images[t].layer_paths[l]);
      }
    }
    std::size_t with_data = 0;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      for (std::size_t l = 0; l < targets[t].layers.size(); ++l) {
        const auto& path = images[t].layer_paths[l];
        const auto where = "image " + std::to_string(t) + " layer " + std::to_string(l) + " (" + path + ")";
        ASSERT_TRUE(contents.contains(path)) << where << " is missing";
        std::string data;
        ASSERT_NO_THROW(data = resolved_content(contents, path)) << where;
        with_data += !data.empty();
        if (!expected_dropped[t][l]) {
          EXPECT_FALSE(data.empty()) << where << ": kept but empty";
          continue;
        }
        const auto& entry = contents.at(path);
        EXPECT_TRUE(entry.type != EntryType::regular || entry.content.empty() || kept_paths.contains(path))
            << where << ": dropped but holds " << entry.content.size() << " bytes";
        if (kept_diff_ids.contains(images[t].diff_ids[l])) {
          ++dropped_with_kept_twin;
        } else {
          EXPECT_TRUE(data.empty()) << where << ": dropped, no kept layer has its bytes, yet it reads back " << data.size() << " bytes";
        }
      }
    }
    std::size_t checked = 0;
    const auto failures = check_layers_read_back(bytes, &checked);
    EXPECT_TRUE(failures.empty()) << ::testing::PrintToString(failures);
    EXPECT_EQ(checked, with_data);

    // Hard links follow their targets.
    std::set<std::string> emitted;
    for (const auto& path : order) {
      const auto& entry = contents.at(path);
      if (entry.type == EntryType::hardlink) {
        EXPECT_TRUE(emitted.contains(entry.link_target)) << path << " -> " << entry.link_target;
      }
      emitted.insert(path);
    }

    fs::remove_all(dir);
    if (::testing::Test::HasFatalFailure() || ::testing::Test::HasNonfatalFailure()) break;  // one clear failure is enough
  }
  // The generator really produced both outcomes, and the interesting overlap.
  std::cout << "[ property ] seed " << run_seed << ": " << run_iterations << " iterations, " << total_kept << " layers kept, "
            << total_dropped << " dropped (" << dropped_with_kept_twin << " with a kept twin)\n";
  EXPECT_GT(total_dropped, 50U);
  EXPECT_GT(total_kept, 50U);
  EXPECT_GT(dropped_with_kept_twin, 0U);
}

}  // namespace
}  // namespace dockerdiff::testing
