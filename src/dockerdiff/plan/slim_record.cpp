#include "dockerdiff/plan/slim_record.hpp"

#include <nlohmann/json.hpp>

#include "dockerdiff/util/json.hpp"
#include "dockerdiff/version.hpp"

namespace dockerdiff::plan {

using nlohmann::json;

std::string slim_record_json(const std::vector<ImageDecision>& images) {
  auto list = json::array();
  for (const auto& image : images) {
    auto required = json::array();
    for (const auto& layer : image.layers) {
      if (!layer.dropped) continue;
      required.push_back({{"chain_id", layer.chain_id},
                          {"diff_id", layer.diff_id},
                          {"provided_by", layer.provided_by},
                          {"base_images", layer.provided_by_images}});
    }
    list.push_back({{"tags", image.tags},
                    {"config_digest", image.config_digest},
                    {"layers", image.layers.size()},
                    {"required", required}});
  }
  return compact_json(json{{"schema", "dockerdiff.slim/v1"}, {"tool", "dockerdiff"}, {"version", kVersion}, {"images", list}});
}

}  // namespace dockerdiff::plan
