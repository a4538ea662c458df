#include "dockerdiff/plan/host_check.hpp"


namespace dockerdiff::plan {

std::vector<ImageRequirement> requirements_from_archive(const image::ImageArchive& archive,
                                                        const std::vector<archive::TarEntry>& entries) {
  std::vector<ImageRequirement> images;
  for (const auto& image : archive.images) {
    ImageRequirement requirement{image.tags, image.config_digest, {}, image.layers.size()};
    for (const auto& layer : image.layers) {
      if (entries[layer.entry].size == 0) {
        requirement.required.push_back({layer.chain_id, layer.diff_id, {}, {}, layer.blob_digest, layer.descriptor_size.value_or(0), {}});
      }
    }
    images.push_back(std::move(requirement));
  }
  return images;
}

void attach_blob_digests(std::vector<ImageRequirement>& images, const image::ImageArchive& archive) {
  for (auto& requirement : images) {
    for (const auto& image : archive.images) {
      if (image.config_digest != requirement.config_digest) continue;
      for (auto& required : requirement.required) {
        for (const auto& layer : image.layers) {
          if (layer.chain_id == required.chain_id) required.blob_digest = layer.blob_digest;
        }
      }
    }
  }
}

std::vector<StoreCheck> check_content_store(const std::vector<ImageRequirement>& images,
                                            const std::set<std::string>& content_digests) {
  std::vector<StoreCheck> checks;
  for (const auto& image : images) {
    StoreCheck check{&image, {}};
    for (const auto& layer : image.required) {
      if (layer.blob_digest.empty() || !content_digests.contains(layer.blob_digest)) check.absent.push_back(&layer);
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

std::vector<ImageCheck> check_host(const std::vector<ImageRequirement>& images, const image::BaseSet& host) {
  std::vector<ImageCheck> checks;
  for (const auto& image : images) {
    ImageCheck check{&image, {}};
    for (const auto& layer : image.required) {
      if (host.find(layer.chain_id) == nullptr) check.missing.push_back(&layer);
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

}  // namespace dockerdiff::plan
