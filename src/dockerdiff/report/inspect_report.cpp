#include "dockerdiff/report/inspect_report.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dockerdiff/report/format.hpp"

namespace dockerdiff::report {

using nlohmann::json;

namespace {

// How many layer positions (across all images) read their data from each entry.
std::map<std::size_t, int> layer_uses(const image::ImageArchive& images) {
  std::map<std::size_t, int> uses;
  for (const auto& image : images.images) {
    for (const auto& layer : image.layers) ++uses[layer.entry];
  }
  return uses;
}

std::vector<std::string> flags(const image::Layer& layer, const std::map<std::size_t, int>& uses) {
  std::vector<std::string> out;
  if (layer.size == 0) out.emplace_back("empty");
  if (layer.linked) out.emplace_back("linked");
  if (uses.at(layer.entry) > 1) out.emplace_back("shared");
  return out;
}

}  // namespace

json inspect_json(const InspectSubject& subject) {
  const auto uses = layer_uses(*subject.images);
  auto images = json::array();
  for (const auto& image : subject.images->images) {
    auto layers = json::array();
    for (const auto& layer : image.layers) {
      const auto layer_flags = flags(layer, uses);
      const auto has = [&](const char* flag) {
        return std::find(layer_flags.begin(), layer_flags.end(), flag) != layer_flags.end();
      };
      layers.push_back({{"diff_id", layer.diff_id},
                        {"chain_id", layer.chain_id},
                        {"size", layer.size},
                        {"path", layer.path},
                        {"stored_at", (*subject.entries)[layer.entry].path},
                        {"media_type", layer.media_type},
                        {"blob_digest", layer.blob_digest.empty() ? json(nullptr) : json(layer.blob_digest)},
                        {"empty", has("empty")},
                        {"linked", has("linked")},
                        {"shared", has("shared")}});
    }
    images.push_back({{"tags", image.tags},
                      {"config_digest", image.config_digest},
                      {"manifest_digest", image.manifest_digest.empty() ? json(nullptr) : json(image.manifest_digest)},
                      {"layers", layers}});
  }
  json out{{"archive", subject.name},
           {"kind", subject.kind},
           {"compression", subject.compression},
           {"stored_bytes", subject.stored_bytes},
           {"layout", image::layout_name(subject.images->layout)},
           {"images", images}};
  // Only for a delta archive (its record as written): other archives' output stays as it was.
  if (subject.delta != nullptr) out["delta"] = json::parse(plan::delta_record_json(*subject.delta));
  return out;
}

std::string inspect_text(const InspectSubject& subject) {
  const auto uses = layer_uses(*subject.images);
  std::ostringstream text;
  text << subject.name << ": " << image::layout_name(subject.images->layout) << " layout, " << subject.kind;
  if (subject.compression != "none") text << " (" << subject.compression << ")";
  text << ", " << human_bytes(subject.stored_bytes) << ", " << subject.images->images.size() << " image(s)\n";
  for (const auto& image : subject.images->images) {
    text << "\nimage " << (image.tags.empty() ? std::string("<untagged>") : image.tags.front());
    for (std::size_t i = 1; i < image.tags.size(); ++i) text << ", " << image.tags[i];
    text << "\n  config " << image.config_digest << "\n";
    for (std::size_t i = 0; i < image.layers.size(); ++i) {
      const auto& layer = image.layers[i];
      text << "  layer " << i << "  diff_id " << short_digest(layer.diff_id) << "  chain_id " << short_digest(layer.chain_id)
           << "  " << human_bytes(layer.size) << "  " << layer.path;
      for (const auto& flag : flags(layer, uses)) text << " [" << flag << "]";
      text << "\n";
    }
  }
  if (subject.delta != nullptr) {
    text << "\ndelta archive: " << subject.delta->patches.size() << " layer(s) as zstd patches; dockerdiff load rebuilds them from\n"
         << "layers the host must hold:\n";
    for (const auto& patch : subject.delta->patches) {
      const auto& reference = patch.reference;
      text << "  patch " << short_digest(patch.diff_id) << "  " << human_bytes(patch.size) << " from " << human_bytes(patch.patch_bytes())
           << "  against " << short_digest(reference.diff_id) << "  chain_id " << short_digest(reference.chain_id) << "  of "
           << (reference.images.empty() ? std::string("?") : reference.images.front()) << " (" << reference.provided_by << ")\n";
    }
  }
  return text.str();
}

}  // namespace dockerdiff::report
