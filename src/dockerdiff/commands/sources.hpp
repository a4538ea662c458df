#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/model.hpp"

namespace dockerdiff::commands {

// A target or base as named on the command line, read into the model.
struct OpenedArchive {
  std::unique_ptr<archive::ArchiveInput> input;
  image::ImageArchive images;
};

// Opens an input without reading it into the model (verify reports what the reader would refuse):
// "-" (stdin, spooled), "docker:REF" / "podman:REF" (saved), an OCI layout directory or a tar.
std::unique_ptr<archive::ArchiveInput> open_input(const std::string& spec);

// "-" (stdin), "docker:REF" / "podman:REF" (saved through the engine), an OCI layout directory or
// an archive file (any supported compression).
OpenedArchive open_archive(const std::string& spec);

// Adds a base to the set: an archive or directory (as above), "docker:REF" / "podman:REF" (read
// with `image inspect`, nothing saved) or an inventory JSON file.
void add_base(image::BaseSet& bases, const std::string& spec);

// Adds an inventory JSON file (see BaseSet::add_inventory).
void add_inventory_file(image::BaseSet& bases, const std::string& path);

// The local file or directory a spec names, if it names one (for output-equals-input checks).
std::optional<std::filesystem::path> local_path(const std::string& spec);

}  // namespace dockerdiff::commands
