#pragma once

#include <string>
#include <string_view>

#include "dockerdiff/archive/compression.hpp"

namespace dockerdiff::image {

// Where an OCI layout (and a Docker 25+ archive) keeps blobs: blobs/sha256/<64 hex digits>.
inline constexpr std::string_view kBlobPrefix = "blobs/sha256/";
std::string blob_path(std::string_view digest);

}  // namespace dockerdiff::image

namespace dockerdiff::image::media_type {

inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";

bool is_index(std::string_view type);
bool is_manifest(std::string_view type);
bool is_config(std::string_view type);
bool is_layer(std::string_view type);
// How a layer blob of this media type is compressed (call only for layer types).
archive::Compression layer_compression(std::string_view type);

}  // namespace dockerdiff::image::media_type
