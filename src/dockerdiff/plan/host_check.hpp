#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dockerdiff/archive/tar_entry.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/model.hpp"

// Whether a host can load a slim archive: pure, like the slim plan.
namespace dockerdiff::plan {

struct RequiredLayer {
  std::string chain_id;
  std::string diff_id;
  std::string provided_by;               // empty when the archive does not say
  std::vector<std::string> base_images;
  // The blob the archive's OCI manifest names for the layer (what containerd's content store must
  // hold); empty in the legacy layout, which names layer files and no blobs.
  std::string blob_digest;
};

struct ImageRequirement {
  std::vector<std::string> tags;
  std::string config_digest;
  std::vector<RequiredLayer> required;  // what the host must already have
};

// From the archive's dockerdiff.json (`record`, as written by slim).
std::vector<ImageRequirement> requirements_from_record(const nlohmann::json& record, const std::string& where);
// Without a record: every layer whose file is empty must come from the host.
std::vector<ImageRequirement> requirements_from_archive(const image::ImageArchive& archive,
                                                        const std::vector<archive::TarEntry>& entries);

// The blob each required layer has in `archive` (the image with the same config digest, the layer
// with the same chain ID).
void attach_blob_digests(std::vector<ImageRequirement>& images, const image::ImageArchive& archive);

struct ImageCheck {
  const ImageRequirement* image = nullptr;
  std::vector<const RequiredLayer*> missing;
};

std::vector<ImageCheck> check_host(const std::vector<ImageRequirement>& images, const image::BaseSet& host);

// On a containerd image store the host must hold each dropped layer as the very blob the archive
// names, not only its chain ID: otherwise the load runs, but the image is incomplete (docker save
// writes it without layers, docker push fails). A legacy archive names no blobs, and containerd
// records each emptied layer file as the empty blob: every dropped layer of it counts as absent.
struct StoreCheck {
  const ImageRequirement* image = nullptr;
  std::vector<const RequiredLayer*> absent;
};

std::vector<StoreCheck> check_content_store(const std::vector<ImageRequirement>& images,
                                            const std::set<std::string>& content_digests);

}  // namespace dockerdiff::plan
