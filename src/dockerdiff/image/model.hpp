#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dockerdiff::image {

// How an archive is laid out on disk.
enum class Layout {
  legacy,    // docker save up to Docker 24: <id>/layer.tar, <config>.json, manifest.json, repositories
  docker25,  // docker save from Docker 25: OCI layout (index.json, blobs/sha256) plus manifest.json
  oci,       // a pure OCI image layout: index.json, oci-layout, blobs (podman, buildx, skopeo)
};

std::string_view layout_name(Layout layout);

struct Layer {
  std::string diff_id;       // sha256 of the uncompressed layer tar, from the config
  std::string chain_id;      // identifies the layer *and everything below it* on a host
  std::string path;          // the archive path the manifest names for it
  std::string media_type;
  std::string blob_digest;   // the descriptor's digest (OCI); empty for legacy layers
  std::size_t entry = 0;     // the catalog entry that holds the data, links followed
  std::uint64_t size = 0;    // that entry's size in the archive
  std::uint64_t descriptor_size = 0;  // the OCI descriptor's size (also of an emptied layer); 0 without one
  bool linked = false;       // `path` itself is a symlink or hard link
};

struct Image {
  std::vector<std::string> tags;
  std::string config_digest;
  std::string config_path;
  std::string manifest_digest;  // the OCI manifest's digest, where the archive has one
  std::vector<Layer> layers;

  // The first tag, or the config digest for an untagged image.
  std::string display_name() const;
};

struct ImageArchive {
  Layout layout = Layout::legacy;
  std::vector<Image> images;
};

}  // namespace dockerdiff::image
