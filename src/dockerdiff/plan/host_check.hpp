#pragma once

#include <set>
#include <string>
#include <vector>

#include "dockerdiff/archive/tar_entry.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/model.hpp"
#include "dockerdiff/plan/slim_record.hpp"

// Whether a host can load a slim archive: pure, like the slim plan.
namespace dockerdiff::plan {

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
