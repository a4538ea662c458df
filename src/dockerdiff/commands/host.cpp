#include "dockerdiff/commands/host.hpp"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dockerdiff/archive/atomic_output.hpp"
#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/engine/layer_blobs.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/plan/delta_plan.hpp"
#include "dockerdiff/plan/host_check.hpp"
#include "dockerdiff/plan/slim_plan.hpp"
#include "dockerdiff/report/host_reports.hpp"

namespace dockerdiff::commands {

int run_inventory(const InventoryOptions& options) {
  if (!options.output.empty() && options.output != "-") archive::check_output_destination(options.output);
  const auto engine = std::string(engine::engine_program(options.engine));
  const auto images = engine::inspect_all_images(options.engine);
  // A containerd image store needs the very blobs a manifest names: the inventory records them.
  std::vector<image::HostBlob> blobs;
  if (options.engine == engine::EngineKind::docker) {
    if (const auto store = engine::docker_containerd_store()) {
      auto listing = engine::list_layer_blobs(*store);
      if (!listing.unavailable.empty()) {
        std::cerr << "dockerdiff: warning: docker uses the containerd image store, and its content cannot be listed ("
                  << listing.unavailable << "): the inventory records chain IDs only, not the blobs this host holds\n";
      }
      blobs = std::move(listing.blobs);
    }
  }
  const auto text = image::make_inventory(engine, images, blobs).dump(2) + "\n";
  if (options.output.empty() || options.output == "-") {
    std::cout << text;
    return 0;
  }
  archive::AtomicOutputFile file(options.output);
  auto sink = archive::make_fd_sink(file.fd(), options.output);
  sink->write(text.data(), text.size());
  sink->finish();
  file.commit();
  return 0;
}

std::vector<plan::ImageRequirement> slim_requirements(const OpenedArchive& opened, const std::string& spec) {
  if (auto images = read_slim_record(opened, spec)) {
    plan::attach_blob_digests(*images, opened.images);
    return std::move(*images);
  }
  return plan::requirements_from_archive(opened.images, opened.input->entries());
}

int run_check(const CheckOptions& options) {
  const auto opened = open_archive(options.archive);
  auto images = slim_requirements(opened, options.archive.spec());
  // A delta archive's images also need the layers its patches are made against.
  if (opened.delta) plan::add_reference_requirements(images, *opened.delta, opened.images);
  image::BaseSet host;
  std::optional<engine::ContainerdStore> store;
  if (!options.inventory.empty()) {
    add_inventory_file(host, options.inventory);
  } else {
    const auto engine = std::string(engine::engine_program(options.engine));
    host.add_inventory(engine, engine::inspect_all_images(options.engine));
    if (options.engine == engine::EngineKind::docker) store = engine::docker_containerd_store();
  }

  report::CheckOutcome outcome;
  std::vector<const plan::ImageRequirement*> loadable;
  for (const auto& check : plan::check_host(images, host)) {
    if (check.missing.empty()) {
      loadable.push_back(check.image);
    } else {
      outcome.missing.push_back(check);
    }
  }

  // Only images that load can be incomplete.
  bool complete = true;
  if (store) {
    const auto content = engine::list_content(*store);
    outcome.content_store_unlistable = content.unavailable;
    if (!content.unavailable.empty()) {
      complete = false;
    } else {
      for (const auto& check : plan::check_content_store(images, content.digests)) {
        if (check.absent.empty() || std::find(loadable.begin(), loadable.end(), check.image) == loadable.end()) continue;
        complete = false;
        outcome.incomplete.push_back(check);
      }
    }
  }
  for (const auto* image : loadable) {
    const bool incomplete = std::any_of(outcome.incomplete.begin(), outcome.incomplete.end(),
                                        [&](const plan::StoreCheck& check) { return check.image == image; });
    if (!incomplete) outcome.complete.push_back(image);
  }
  outcome.content_store_checked = store && complete;
  std::cerr << report::check_warning(outcome);
  std::cout << report::check_text(outcome);
  const bool loads = outcome.missing.empty();
  return !loads || (options.strict && !complete) ? 1 : 0;
}

}  // namespace dockerdiff::commands
