#pragma once

#include "dockerdiff/image/diagnostics.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/model.hpp"

namespace dockerdiff::image {

// The one walk of an archive's documents: manifest.json, index.json and the indexes it nests, the
// manifests and configs they name, and the descriptors' digests and sizes against the entries.
// Pure: works on the catalog and never touches a file. Returns the images it could establish (all of
// them, when no problem was reported).
ImageArchive walk_image_documents(const EntryIndex& index, Diagnostics& diagnostics);

}  // namespace dockerdiff::image
