#include "dockerdiff/commands/host.hpp"

#include <algorithm>
#include <iostream>
#include <set>
#include <nlohmann/json.hpp>

#include "dockerdiff/archive/atomic_output.hpp"
#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"
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

std::vector<plan::ImageRequirement> requirements_of(const Source& source) {
  const auto& spec = source.spec();
  const auto opened = open_archive(source);
  const image::EntryIndex index(opened.input->entries(), opened.input->name());
  if (const auto record = index.find(plan::kSlimRecordPath)) {
    const auto& entry = opened.input->entries()[*record];
    if (!entry.content) throw Error(spec, std::string(plan::kSlimRecordPath) + " is not a JSON document");
    auto images = plan::requirements_from_record(parse_json(*entry.content, spec + ": " + plan::kSlimRecordPath),
                                                 spec + ": " + plan::kSlimRecordPath);
    plan::attach_blob_digests(images, opened.images);
    return images;
  }
  return plan::requirements_from_archive(opened.images, opened.input->entries());
}

std::string image_name(const plan::ImageRequirement& image) {
  return image.tags.empty() ? report::short_digest(image.config_digest) : image.tags.front();
}

void print_missing(const plan::ImageCheck& check) {
  const auto& image = *check.image;
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

void print_incomplete(const plan::StoreCheck& check) {
  const auto& image = *check.image;
  std::cout << image_name(image) << ": loads, but incomplete in docker's containerd image store: " << check.absent.size()
            << " of " << image.required.size() << " layers it leaves out are not in the content store as the blob the archive names:\n";
  for (const auto* layer : check.absent) {
    std::cout << "  chain " << layer->chain_id << ": ";
    if (layer->blob_digest.empty()) {
      std::cout << "the legacy layout names no blob (containerd records the emptied file as the empty blob)\n";
    } else {
      std::cout << "blob " << layer->blob_digest << " absent (the host holds the layer in another form)\n";
    }
  }
  std::cout << "  docker save of it would exit 0 writing no layers, and docker push would fail. Remedy: docker load the base "
               "as the blobs the archive names (the base archive it was slimmed against), or slim it against the base in "
               "the form this host holds (with --layout auto)\n";
}

}  // namespace

int run_check(const CheckOptions& options) {
  const auto images = requirements_of(options.archive);
  image::BaseSet host;
  std::optional<engine::ContainerdStore> store;
  if (!options.inventory.empty()) {
    add_inventory_file(host, options.inventory);
  } else {
    const auto engine = std::string(engine::engine_program(options.engine));
    host.add_inventory(engine, engine::inspect_all_images(options.engine));
    if (options.engine == engine::EngineKind::docker) store = engine::docker_containerd_store();
  }

  bool loads = true;
  std::vector<const plan::ImageRequirement*> loadable;
  for (const auto& check : plan::check_host(images, host)) {
    if (check.missing.empty()) {
      loadable.push_back(check.image);
    } else {
      loads = false;
      print_missing(check);
    }
  }

  // Only images that load can be incomplete.
  bool complete = true;
  std::set<const plan::ImageRequirement*> incomplete;
  if (store) {
    const auto content = engine::list_content(*store);
    if (!content.unavailable.empty()) {
      complete = false;
      std::cerr << "dockerdiff: warning: docker uses the containerd image store, and its content cannot be listed ("
                << content.unavailable << "): an image loaded without the blobs of its dropped layers is incomplete "
                                          "(docker save writes no layers, docker push fails), and this check cannot tell\n";
    } else {
      for (const auto& check : plan::check_content_store(images, content.digests)) {
        if (check.absent.empty() || std::find(loadable.begin(), loadable.end(), check.image) == loadable.end()) continue;
        complete = false;
        incomplete.insert(check.image);
        print_incomplete(check);
      }
    }
  }
  for (const auto* image : loadable) {
    if (incomplete.contains(image)) continue;
    std::cout << image_name(*image) << ": ok (" << image->required.size() << " layers come from the host"
              << (store && complete ? ", as the blobs the archive names" : "") << ")\n";
  }
  return !loads || (options.strict && !complete) ? 1 : 0;
}

}  // namespace dockerdiff::commands
