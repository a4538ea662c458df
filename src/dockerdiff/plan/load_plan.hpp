#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/plan/host_check.hpp"
#include "dockerdiff/plan/slim_record.hpp"

// The pure middle of `dockerdiff load`: whether a slim archive can be loaded on this host, and on
// docker's containerd image store what it takes for every image to load complete.
namespace dockerdiff::plan {

// What the host's containerd content store holds (docker with the containerd image store).
struct ContentStore {
  // Every blob digest it holds; nullopt when it cannot be listed (no ctr, no access to its socket).
  std::optional<std::set<std::string>> content;
};

struct LoadPlan {
  // Images that need layers the host lacks: nothing may be loaded.
  std::vector<ImageCheck> missing;
  // Dropped layers (by chain ID) written into the stream from the host's own images: on a
  // containerd store, those whose named blob the store lacks and that it cannot be pointed at
  // instead (the archive names the uncompressed form: the host's blob is decompressed, so the
  // manifest and the image ID stay the archive's). nullopt: every dropped layer (the store's
  // content is unknown). Empty on a classic store and podman, which need nothing but chain IDs.
  std::optional<std::set<std::string>> refill;
  // The host images to save for those layers (a tag, or the ID of an untagged image), each once.
  std::vector<std::string> providers;
  // Whether some dropped layer's descriptor must name the blob the host holds instead (a
  // compressed blob the store lacks, held in another form): the manifest digest then differs.
  bool names_host_blobs = false;
};

// `store` is nullopt for a classic store and podman. `host` holds the host's images (chain IDs and,
// on a containerd store, the blobs it holds).
LoadPlan plan_load(const std::vector<ImageRequirement>& images, const image::BaseSet& host,
                   const std::optional<ContentStore>& store);

}  // namespace dockerdiff::plan
