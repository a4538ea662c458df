#include "dockerdiff/plan/load_plan.hpp"

#include <algorithm>

namespace dockerdiff::plan {

LoadPlan plan_load(const std::vector<ImageRequirement>& images, const image::BaseSet& host,
                   const std::optional<ContentStore>& store) {
  LoadPlan plan;
  for (auto& check : check_host(images, host)) {
    if (!check.missing.empty()) plan.missing.push_back(std::move(check));
  }
  if (!plan.missing.empty() || !store) {
    plan.refill = std::set<std::string>{};
    return plan;
  }
  std::set<std::string> refill;
  for (const auto& image : images) {
    for (const auto& layer : image.required) {
      if (store->content) {
        // A legacy archive names no blob: loaded as the Docker 25+ layout, it names the uncompressed one.
        const auto named = layer.blob_digest.empty() ? layer.diff_id : layer.blob_digest;
        if (store->content->contains(named)) continue;
        if (named != layer.diff_id && !host.blobs_of(layer.diff_id).empty()) {
          plan.names_host_blobs = true;
          continue;
        }
      }
      refill.insert(layer.chain_id);
      const auto* provider = host.find(layer.chain_id);
      if (provider == nullptr || provider->images.empty()) continue;  // check_host found it: never so
      const auto& name = provider->images.front();
      if (std::find(plan.providers.begin(), plan.providers.end(), name) == plan.providers.end()) plan.providers.push_back(name);
    }
  }
  if (store->content) plan.refill = std::move(refill);
  return plan;
}

}  // namespace dockerdiff::plan
