#include "dockerdiff/image/reader.hpp"

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/image/walk.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::image {

std::string_view layout_name(Layout layout) {
  switch (layout) {
    case Layout::legacy: return "legacy";
    case Layout::docker25: return "docker25";
    case Layout::oci: return "oci";
  }
  return "legacy";
}

std::string Image::display_name() const { return tags.empty() ? config_digest : tags.front(); }

namespace {

// Where the catalog pass hashed a layer's data (compressed archives), it must be what the
// manifest says: the blob digest, or for an uncompressed legacy layer its diff_id.
void check_catalog_digests(const EntryIndex& index, const ImageArchive& archive) {
  for (const auto& image : archive.images) {
    for (const auto& layer : image.layers) {
      const auto& entry = index.entries()[layer.entry];
      if (!entry.digest || entry.size == 0) continue;
      std::string expected = layer.blob_digest;
      if (expected.empty() && archive::detect_compression(entry.magic) == archive::Compression::none) expected = layer.diff_id;
      if (!expected.empty() && *entry.digest != expected) {
        throw Error(index.archive_name() + ": " + entry.path, "content does not match its digest " + expected + " (corrupt archive)");
      }
    }
  }
}

}  // namespace

ImageArchive read_image_archive(const EntryIndex& index) {
  Diagnostics diagnostics(index.archive_name(), Diagnostics::Policy::stop_at_first);
  auto archive = walk_image_documents(index, diagnostics);
  check_catalog_digests(index, archive);
  return archive;
}

}  // namespace dockerdiff::image
