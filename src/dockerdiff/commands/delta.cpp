#include "dockerdiff/commands/delta.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/mapped_file.hpp"
#include "dockerdiff/archive/subtree_input.hpp"
#include "dockerdiff/archive/zstd_patch.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/limits.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::commands {

namespace {

constexpr std::uint64_t kPatchWindow = std::uint64_t{1} << archive::kMaxPatchWindowLog;

std::string sha256_of(std::span<const unsigned char> bytes) {
  Sha256 hash;
  hash.update(bytes.data(), bytes.size());
  return hash.digest();
}

// A reference layer mapped uncompressed, checked against its diff_id.
archive::MappedFile map_reference(archive::ArchiveInput& input, std::size_t entry, archive::Compression compression,
                                  const std::string& diff_id, const std::string& what) {
  const auto stored = input.entries()[entry].size;
  auto mapped = archive::map_entry_data(input, entry, compression, limits::decompression_limit(stored), what);
  if (sha256_of(mapped.bytes()) != diff_id) throw Error(what, "its data does not match its diff_id " + diff_id);
  return mapped;
}

std::span<const unsigned char> slice(std::span<const unsigned char> bytes, std::uint64_t offset, std::uint64_t size) {
  return bytes.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(size));
}

// Counts what a compressor writes, and stops it once past a limit.
class BoundedCount final : public archive::ByteSink {
 public:
  struct Exceeded {};
  explicit BoundedCount(std::uint64_t limit) : limit_(limit) {}
  void write(const void*, std::size_t size) override {
    bytes_ += size;
    if (bytes_ > limit_) throw Exceeded{};
  }
  void finish() override {}
  std::uint64_t bytes_written() const override { return bytes_; }

 private:
  std::uint64_t limit_;
  std::uint64_t bytes_ = 0;
};

// Whether the reference at least halves what the layer compresses to alone. A patch that is mere
// compression would tie the host to the reference for nothing: such a layer goes whole. The
// compression alone stops as soon as it is twice the patch, which for a real release (a patch of
// kilobytes) is after the first few hundred kilobytes of the layer.
bool reference_helps(std::span<const unsigned char> target, const plan::LayerPatch& patch, const std::string& what) {
  BoundedCount alone(2 * patch.patch_bytes());
  try {
    for (const auto& part : patch.parts) archive::write_patch({}, slice(target, part.offset, part.size), alone, kPatchLevel, what);
  } catch (const BoundedCount::Exceeded&) {
    return true;
  }
  return false;
}

// The frame of a patch part, mapped: its entry below patches/ must be a file of the recorded size.
archive::MappedFile map_patch_part(archive::ArchiveInput& whole, const image::EntryIndex& index, const plan::PatchPart& part) {
  const auto path = std::string(plan::kDeltaPatchDirectory) + "/" + part.patch;
  const auto entry = index.find(path);
  if (!entry || whole.entries()[*entry].type != archive::EntryType::regular || whole.entries()[*entry].size != part.patch_size) {
    throw Error(whole.name() + ": " + path, "missing, or not the size the record says");
  }
  return archive::map_entry_data(whole, *entry, archive::Compression::none, part.patch_size, whole.name() + ": " + path);
}

std::string patch_part_name(const archive::ArchiveInput& whole, const plan::PatchPart& part) {
  return whole.name() + ": " + plan::kDeltaPatchDirectory + "/" + part.patch;
}

}  // namespace

DeltaArchive make_delta(const plan::SlimPlan& slim, const std::vector<plan::PlanInput>& inputs,
                        const std::vector<archive::ArchiveInput*>& input_data, std::vector<OpenedArchive>& releases,
                        const std::vector<std::string>& release_names) {
  std::vector<plan::PlanInput> release_inputs;
  for (std::size_t i = 0; i < releases.size(); ++i) {
    release_inputs.push_back({release_names[i], &releases[i].input->entries(), &releases[i].images});
  }
  const auto layers = plan::patchable_layers(slim, inputs);
  auto candidates = plan::reference_candidates(release_inputs);
  const auto chosen = plan::choose_references(layers, candidates);

  DeltaArchive delta;
  delta.patches = std::make_unique<archive::FileSetInput>("patches");
  std::map<std::size_t, archive::MappedFile> references;  // by candidate
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (!chosen[i]) continue;
    const auto& layer = layers[i];
    auto& candidate = candidates[*chosen[i]];
    auto mapped = references.find(*chosen[i]);
    if (mapped == references.end()) {
      const auto what = release_names[candidate.source] + ": layer " + candidate.layer.diff_id;
      mapped = references.emplace(*chosen[i], map_reference(*releases[candidate.source].input, candidate.entry,
                                                           candidate.compression, candidate.layer.diff_id, what)).first;
      candidate.layer.size = mapped->second.bytes().size();
    }
    const auto reference = mapped->second.bytes();
    const auto what = inputs[layer.input].name + ": " + layer.path;
    const auto target = archive::map_entry_data(*input_data[layer.input], layer.entry, archive::Compression::none, layer.size, what);
    if (target.bytes().size() != layer.size) throw Error(what, "its data is not the size its catalog says");

    plan::PatchedLayer patched{layer, {layer.path, layer.diff_id, layer.size, candidate.layer, {}}};
    std::vector<UniqueFd> files;
    for (auto part : plan::plan_patch_parts(reference.size(), layer.size, kPatchWindow)) {
      part.patch = plan::patch_entry_name(layer.diff_id, patched.record.parts.size());
      auto file = unnamed_temp_file(what);
      auto sink = archive::make_fd_sink(file.get(), what + " (patch)");
      archive::write_patch(slice(reference, part.reference_offset, part.reference_size), slice(target.bytes(), part.offset, part.size),
                           *sink, kPatchLevel, what);
      sink->finish();
      part.patch_size = sink->bytes_written();
      patched.record.parts.push_back(std::move(part));
      files.push_back(std::move(file));
    }
    if (patched.record.patch_bytes() >= layer.size || !reference_helps(target.bytes(), patched.record, what)) continue;
    for (std::size_t p = 0; p < files.size(); ++p) {
      const auto& part = patched.record.parts[p];
      delta.patches->add(std::string(plan::kDeltaPatchDirectory) + "/" + part.patch, std::move(files[p]), part.patch_size);
    }
    delta.patched.push_back(std::move(patched));
  }
  delta.plan = plan::delta_archive_plan(slim, delta.patched, inputs.size());
  return delta;
}

std::size_t rebuild_delta(OpenedArchive& delta, const std::string& delta_name, std::vector<OpenedArchive>& references) {
  if (!delta.delta) return 0;
  // open_archive made the input of a delta archive the view of its slim archive.
  auto& view = static_cast<archive::SubtreeInput&>(*delta.input);
  const image::EntryIndex whole(view.whole().entries(), delta_name);
  const image::EntryIndex slim(view.entries(), delta_name);
  std::vector<plan::PlanInput> reference_inputs;
  for (auto& reference : references) {
    reference_inputs.push_back({reference.input->name(), &reference.input->entries(), &reference.images});
  }
  const auto candidates = plan::reference_candidates(reference_inputs);
  std::map<std::string, archive::MappedFile> mapped_references;  // by diff_id
  for (const auto& patch : delta.delta->patches) {
    const auto what = delta_name + ": " + plan::kDeltaSlimDirectory + "/" + patch.path;
    const auto target = slim.find(patch.path);
    if (!target || view.entries()[*target].type != archive::EntryType::regular || view.entries()[*target].size != 0) {
      throw Error(what, "not the empty file of a patched layer");
    }
    const auto& wanted = patch.reference;
    const auto candidate = std::find_if(candidates.begin(), candidates.end(),
                                        [&](const plan::ReferenceCandidate& c) { return c.layer.diff_id == wanted.diff_id; });
    if (candidate == candidates.end()) {
      std::string images;
      for (const auto& name : wanted.images) images += (images.empty() ? "" : ", ") + name;
      throw Error(delta_name, "rebuilding " + patch.path + " needs the layer " + wanted.diff_id + " (chain ID " + wanted.chain_id +
                                  ") of " + (images.empty() ? std::string("an earlier release") : images) +
                                  (wanted.provided_by.empty() ? "" : " (" + wanted.provided_by + ")") + ", which no base holds");
    }
    // Each reference mapped and checked once, however many layers are patched against it.
    auto mapped = mapped_references.find(wanted.diff_id);
    if (mapped == mapped_references.end()) {
      auto& source = *references[candidate->source].input;
      mapped = mapped_references
                   .emplace(wanted.diff_id, map_reference(source, candidate->entry, candidate->compression, wanted.diff_id,
                                                          source.name() + ": layer " + wanted.diff_id))
                   .first;
    }
    const auto* reference = &mapped->second;
    if (reference->bytes().size() != wanted.size) throw Error(what, "its reference layer is not the size the record says");
    auto out = unnamed_temp_file(what);
    if (::ftruncate(out.get(), static_cast<off_t>(patch.size)) != 0) throw Error(what, "cannot size the rebuilt layer: " + errno_text());
    for (const auto& part : patch.parts) {
      const auto frame = map_patch_part(view.whole(), whole, part);
      archive::apply_patch(slice(reference->bytes(), part.reference_offset, part.reference_size), frame.bytes(), out.get(), part.offset,
                           part.size, patch_part_name(view.whole(), part));
    }
    const archive::MappedFile rebuilt(out.get(), what);
    const auto digest = sha256_of(rebuilt.bytes());
    if (digest != patch.diff_id) throw Error(what, "the rebuilt layer is " + digest + ", not " + patch.diff_id);
    view.replace_data(*target, std::move(out), patch.size, patch.diff_id);
  }
  const auto rebuilt = delta.delta->patches.size();
  delta.images = image::read_image_archive(image::EntryIndex(view.entries(), view.name()));
  delta.delta.reset();
  return rebuilt;
}

std::string rebuilt_summary(const std::string& archive, std::size_t layers) {
  return "dockerdiff: " + printable_line(archive) + ": " + std::to_string(layers) + " layer" + (layers == 1 ? "" : "s") +
         " rebuilt from their patches against the earlier release\n";
}

std::vector<image::Problem> check_patch_frames(archive::ArchiveInput& input, const plan::DeltaRecord& record) {
  auto& whole = static_cast<archive::SubtreeInput&>(input).whole();
  const image::EntryIndex index(whole.entries(), whole.name());
  std::vector<image::Problem> problems;
  for (const auto& patch : record.patches) {
    for (const auto& part : patch.parts) {
      try {
        const auto size = archive::patch_target_size(map_patch_part(whole, index, part).bytes(), patch_part_name(whole, part));
        if (size != part.size) {
          throw Error(patch_part_name(whole, part),
                      "rebuilds " + std::to_string(size) + " bytes, not the " + std::to_string(part.size) + " its record says");
        }
      } catch (const Error& error) {
        problems.push_back(image::problem_of(error, whole.name()));
      }
    }
  }
  return problems;
}

void refuse_delta(const OpenedArchive& opened, const std::string& spec, const std::string& command) {
  if (!opened.delta) return;
  throw Error(spec, "a delta archive: " + command + " reads it once rebuilt (dockerdiff restore " + spec + " -b PREVIOUS -o FULL)");
}

}  // namespace dockerdiff::commands
