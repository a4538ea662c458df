#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/engine/engine.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/model.hpp"
#include "dockerdiff/plan/delta_record.hpp"
#include "dockerdiff/plan/slim_record.hpp"

namespace dockerdiff::commands {

// A target or base as named on the command line, told apart once, where the command line is read:
// "-" (stdin), "docker:REF" / "podman:REF" (an engine's image), or a path (an archive file, an OCI
// layout directory, or for a base an inventory JSON file: which, is seen when it is opened).
class Source {
 public:
  Source() = default;
  explicit Source(std::string spec);

  const std::string& spec() const { return spec_; }  // as given, for messages
  bool is_stdin() const { return spec_ == "-"; }
  // The engine image named, or nullptr. A usage error (exit 2) for "docker:" or "podman:" without a
  // reference, raised where the image is first needed as it always was.
  const engine::EngineRef* engine_image() const;
  // The local file or directory named, if any (for output-equals-input checks).
  std::optional<std::filesystem::path> local_path() const;

 private:
  std::string spec_;
  std::optional<engine::EngineRef> engine_;
};

// One Source per spec, in order.
std::vector<Source> parse_sources(const std::vector<std::string>& specs);

// A target or base as named on the command line, read into the model.
struct OpenedArchive {
  std::unique_ptr<archive::ArchiveInput> input;
  image::ImageArchive images;
  // A delta archive (plan/delta_record.hpp): `input` and `images` are the slim archive it carries
  // (an archive::SubtreeInput), its patched layers empty until rebuilt (commands/delta.hpp).
  std::optional<plan::DeltaRecord> delta;
};

// Opens an input without reading it into the model (verify reports what the reader would refuse):
// "-" (stdin), "docker:REF" / "podman:REF" (read from the engine's `save` as it runs), an OCI
// layout directory or a tar. `keep`: see archive::KeepData (streamed and compressed inputs).
std::unique_ptr<archive::ArchiveInput> open_input(const Source& source, const archive::KeepData& keep = {});

// When `input` is a delta archive: its record, and `input` replaced by the view of the slim archive
// it carries (an archive::SubtreeInput). nullopt otherwise; an Error for an unsound delta record.
std::optional<plan::DeltaRecord> open_delta(std::unique_ptr<archive::ArchiveInput>& input);

// "-" (stdin), "docker:REF" / "podman:REF" (saved through the engine), an OCI layout directory or
// an archive file (any supported compression). A delta archive is opened as the slim archive it
// carries, with its record.
OpenedArchive open_archive(const Source& source, const archive::KeepData& keep = {});

// The archive's slim record (dockerdiff.json), or nullopt when it has none; throws Error naming
// `spec` when it has one that is not a dockerdiff record.
std::optional<std::vector<plan::ImageRequirement>> read_slim_record(const OpenedArchive& opened, const std::string& spec);

// Adds a base to the set: an archive or directory (as above), "docker:REF" / "podman:REF" (read
// with `image inspect`, nothing saved) or an inventory JSON file.
void add_base(image::BaseSet& bases, const Source& source);

// Whether a base names an inventory JSON file (which holds no layer data).
bool is_inventory_file(const Source& source);

// Adds an inventory JSON file (see BaseSet::add_inventory).
void add_inventory_file(image::BaseSet& bases, const std::string& path);

}  // namespace dockerdiff::commands
