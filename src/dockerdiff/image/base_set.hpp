#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dockerdiff/image/model.hpp"

namespace dockerdiff::image {

// A blob a host's containerd content store holds for a layer: one form of it (the uncompressed tar,
// whose digest is the diff_id, or a gzip / zstd blob with a digest of its own).
struct HostBlob {
  std::string diff_id;
  std::string digest;
  std::string media_type;
  std::uint64_t size = 0;

  bool operator==(const HostBlob&) const = default;
};

// The layers a host already has, as chain IDs: the union of every base named with -b.
class BaseSet {
 public:
  struct Provider {
    std::string base;                 // the base as the user named it (path, docker:REF, inventory file)
    std::vector<std::string> images;  // tags (or config digests) of the base images holding the chain ID
  };

  // Adds every chain ID of an image with these diff_ids (each layer and all below it).
  void add_image(const std::string& base, const std::string& image_name, const std::vector<std::string>& diff_ids);
  void add_chain_id(const std::string& base, const std::string& image_name, const std::string& chain_id);
  void add_archive(const std::string& base, const ImageArchive& archive);
  // Accepts an inventory document: `dockerdiff inventory` output, `docker image inspect` output, a
  // list of chain IDs, or a list of diff_id lists. `base` names it in errors.
  void add_inventory(const std::string& base, const nlohmann::json& document);

  // A blob the host holds (from an inventory of a containerd image store).
  void add_blob(const HostBlob& blob);
  // The blobs recorded for the layer with this diff_id: none when unknown (older inventories,
  // classic stores, podman).
  std::vector<HostBlob> blobs_of(const std::string& diff_id) const;

  // Whether a layer with this digest may be one the bases hold: one of their diff_ids or recorded
  // blobs, or a chain ID (a bottom layer's chain ID is its diff_id). A target read as a stream may
  // leave such layers out before its own layers are known (and read again if one is needed).
  bool may_hold_layer(const std::string& digest) const;
  // Whether a base archive holds an uncompressed layer tar of exactly this many bytes (a layer
  // tar's size is the same wherever it is saved): a guess that a layer may be the bases' before
  // its digest is known. Inventories and engine bases give no sizes.
  bool has_layer_of_size(std::uint64_t size) const { return layer_sizes_.contains(size); }

  // The provider of a chain ID (the first base that has it), or nullptr.
  const Provider* find(const std::string& chain_id) const;
  std::size_t size() const { return providers_.size(); }

 private:
  std::map<std::string, Provider> providers_;
  std::map<std::string, std::vector<HostBlob>> blobs_;  // by diff_id
  std::set<std::string> diff_ids_;                      // of every image added with its diff_ids
  std::set<std::string> blob_digests_;                  // of every blob in blobs_
  std::set<std::uint64_t> layer_sizes_;                 // of base archives' uncompressed layer tars
};

// The diff_ids of one image as `docker image inspect` / `podman image inspect` print it ("RootFS"
// "Layers"); none when it has no layers. `what` names the source in errors.
std::vector<std::string> inspected_diff_ids(const nlohmann::json& image, const std::string& what);

// The inventory document (schema dockerdiff.inventory/v1) for what an engine's `image inspect`
// printed: every chain ID, and per image its ID, tags and diff_ids; sorted, so it is deterministic.
// With `blobs` (a containerd image store), also the blobs the store holds for those layers.
nlohmann::json make_inventory(const std::string& engine, const nlohmann::json& inspected, const std::vector<HostBlob>& blobs = {});

}  // namespace dockerdiff::image
