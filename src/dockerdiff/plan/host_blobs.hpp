#pragma once

#include <string>
#include <vector>

#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/plan/slim_plan.hpp"

namespace dockerdiff::plan {

// A containerd image store keeps blobs, and an image whose manifest names a dropped layer's blob in a
// form the store lacks loads incomplete (docker save then writes no layers). Where the bases record the
// blobs a host holds (an inventory of a containerd store) and none is the blob the output names for a
// dropped layer, the output's manifests name one the host holds instead (digest, media type, size):
// plain `docker load` there gives a complete image with the same config. Manifests, the indexes above
// them and manifest.json follow the new digests; the emptied entry moves to the host blob's path.
// Pure: works on the planned entries (documents) and their inputs' catalogs.
std::vector<RenamedLayerBlob> name_host_blobs(std::vector<PlannedEntry>& entries, const std::vector<PlanInput>& inputs,
                                              const image::BaseSet& base);

}  // namespace dockerdiff::plan
