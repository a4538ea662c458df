#include "dockerdiff/image/media_types.hpp"

#include <algorithm>
#include <array>

#include "dockerdiff/util/digest.hpp"

namespace dockerdiff::image {

std::string blob_path(std::string_view digest) { return std::string(kBlobPrefix) + std::string(digest_hex(digest)); }

}  // namespace dockerdiff::image

namespace dockerdiff::image::media_type {

namespace {
constexpr std::array<std::string_view, 11> kLayerTypes{
    kOciLayerTar,
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    kDockerLayerTar,
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",
    "application/vnd.docker.image.rootfs.foreign.diff.tar",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};
}  // namespace

bool is_index(std::string_view type) { return type == kOciIndex || type == kDockerManifestList; }
bool is_manifest(std::string_view type) { return type == kOciManifest || type == kDockerManifest; }
bool is_config(std::string_view type) { return type == kOciConfig || type == kDockerConfig; }
bool is_layer(std::string_view type) {
  return std::find(kLayerTypes.begin(), kLayerTypes.end(), type) != kLayerTypes.end();
}

archive::Compression layer_compression(std::string_view type) {
  if (type.ends_with("gzip")) return archive::Compression::gzip;
  if (type.ends_with("zstd")) return archive::Compression::zstd;
  return archive::Compression::none;
}

}  // namespace dockerdiff::image::media_type
