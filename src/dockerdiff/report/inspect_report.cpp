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
  return {{"archive", subject.name},
          {"kind", subject.kind},
          {"compression", subject.compression},
          {"stored_bytes", subject.stored_bytes},
          {"layout", image::layout_name(subject.images->layout)},
          {"images", images}};
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
  return text.str();
}

}  // namespace dockerdiff::report
