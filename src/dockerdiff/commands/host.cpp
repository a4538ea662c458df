#include "dockerdiff/commands/host.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "dockerdiff/archive/atomic_output.hpp"
#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/error.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/plan/host_check.hpp"
#include "dockerdiff/plan/slim_plan.hpp"
#include "dockerdiff/report/format.hpp"

namespace dockerdiff::commands {

int run_inventory(const InventoryOptions& options) {
  if (!options.output.empty() && options.output != "-") archive::check_output_destination(options.output);
  const auto engine = std::string(engine::engine_program(options.engine));
  const auto text = image::make_inventory(engine, engine::inspect_all_images(options.engine)).dump(2) + "\n";
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

namespace {

std::vector<plan::ImageRequirement> requirements_of(const std::string& spec) {
  const auto opened = open_archive(spec);
  const image::EntryIndex index(opened.input->entries(), opened.input->name());
  if (const auto record = index.find(plan::kSlimRecordPath)) {
    const auto& entry = opened.input->entries()[*record];
    if (!entry.content) throw Error(spec + ": " + plan::kSlimRecordPath + " is not a JSON document");
    return plan::requirements_from_record(image::parse_json(*entry.content, spec + ": " + plan::kSlimRecordPath),
                                          spec + ": " + plan::kSlimRecordPath);
  }
  return plan::requirements_from_archive(opened.images, opened.input->entries());
}

std::string image_name(const plan::ImageRequirement& image) {
  return image.tags.empty() ? report::short_digest(image.config_digest) : image.tags.front();
}

}  // namespace

int run_check(const CheckOptions& options) {
  const auto images = requirements_of(options.archive);
  image::BaseSet host;
  if (!options.inventory.empty()) {
    add_inventory_file(host, options.inventory);
  } else {
    const auto engine = std::string(engine::engine_program(options.engine));
    host.add_inventory(engine, engine::inspect_all_images(options.engine));
    if (options.engine == engine::EngineKind::docker && engine::uses_containerd_image_store()) {
      std::cerr << "dockerdiff: warning: docker uses the containerd image store: an image loaded from a slim archive "
                   "cannot be saved or pushed again unless the content of its dropped layers is in the store\n";
    }
  }

  bool complete = true;
  for (const auto& check : plan::check_host(images, host)) {
    const auto& image = *check.image;
    if (check.missing.empty()) {
      std::cout << image_name(image) << ": ok (" << image.required.size() << " layers come from the host)\n";
      continue;
    }
    complete = false;
    std::cout << image_name(image) << ": missing " << check.missing.size() << " of " << image.required.size()
              << " layers the host must have:\n";
    for (const auto* layer : check.missing) {
      std::cout << "  chain " << layer->chain_id << " (diff_id " << report::short_digest(layer->diff_id) << ")";
      if (!layer->provided_by.empty()) std::cout << " from " << layer->provided_by;
      if (!layer->base_images.empty()) {
        std::cout << " [";
        for (std::size_t i = 0; i < layer->base_images.size(); ++i) std::cout << (i ? ", " : "") << layer->base_images[i];
        std::cout << "]";
      }
      std::cout << "\n";
    }
  }
  return complete ? 0 : 1;
}

}  // namespace dockerdiff::commands
