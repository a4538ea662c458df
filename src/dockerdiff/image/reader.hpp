#pragma once

#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/model.hpp"

namespace dockerdiff::image {

// Reads every layout into the one model: the document walk, stopping at the first problem. Pure:
// works on the catalog (entries and the JSON documents kept with them) and never touches a file.
// Throws Error naming the archive, file and problem.
ImageArchive read_image_archive(const EntryIndex& index);

}  // namespace dockerdiff::image
