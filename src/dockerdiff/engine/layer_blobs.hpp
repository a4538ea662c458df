#pragma once

#include <set>
#include <string>
#include <vector>

#include "dockerdiff/engine/engine.hpp"
#include "dockerdiff/image/base_set.hpp"

namespace dockerdiff::engine {

// The layer blobs a containerd content store holds for its images: each image's manifest (an index
// followed to the manifests the store holds), its layer descriptors paired with the config's
// diff_ids, kept where the store holds the blob itself (an image loaded incomplete names blobs it
// lacks). Or why they cannot be listed.
struct BlobListing {
  std::vector<image::HostBlob> blobs;
  std::set<std::string> content;  // every blob digest the content store holds
  std::string unavailable;  // empty when `blobs` is what the store holds
};
BlobListing list_layer_blobs(const ContainerdStore& store);

}  // namespace dockerdiff::engine
