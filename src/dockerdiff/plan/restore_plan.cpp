#include "dockerdiff/plan/restore_plan.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/media_types.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/plan/slim_record.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::plan {

namespace {

using archive::Compression;
using archive::EntryType;
using Kind = PlannedEntry::Kind;

// One form of a layer that a base holds with data.
struct Form {
  std::size_t base = 0;   // index into bases
  std::size_t entry = 0;  // that base's data entry
  std::string chain_id;
  std::string digest;      // of the stored bytes; empty when unknown (a compressed legacy layer file)
  std::string media_type;  // for a descriptor naming it
  Compression compression = Compression::none;
  std::uint64_t size = 0;
};

// The digest of the bytes a layer is stored as: the descriptor's digest, or for a layer known only
// from manifest.json its diff_id when the data is an uncompressed tar. Empty when unknown.
std::string stored_digest(const image::Layer& layer, const archive::TarEntry& data) {
  if (!layer.blob_digest.empty()) return layer.blob_digest;
  if (archive::detect_compression(data.magic) == Compression::none) return layer.diff_id;
  return {};
}

// What a dropped slim layer must be refilled with (its data is empty, so nothing to sniff: a layer
// without a descriptor is an uncompressed tar, as docker save writes it).
std::string expected_digest(const image::Layer& layer) { return layer.blob_digest.empty() ? layer.diff_id : layer.blob_digest; }

struct Refill {
  std::size_t slim_entry = 0;
  RefillMethod method = RefillMethod::copied;
  Form from;
  const image::Image* image = nullptr;
  const image::Layer* layer = nullptr;
};

class RefillChooser {
 public:
  RefillChooser(const PlanInput& slim, const std::vector<PlanInput>& bases) : slim_(slim), bases_(bases) {
    for (std::size_t b = 0; b < bases.size(); ++b) {
      for (const auto& image : bases[b].images->images) {
        for (const auto& layer : image.layers) {
          const auto& data = (*bases[b].entries)[layer.entry];
          if (data.size == 0) continue;  // a slim base: dropped there too
          Form form{b, layer.entry, layer.chain_id, stored_digest(layer, data),
                    layer.blob_digest.empty() ? std::string(image::media_type::kOciLayerTar) : layer.media_type,
                    archive::detect_compression(data.magic), data.size};
          if (!form.digest.empty()) by_digest_[form.digest].push_back(form);
          by_diff_id_[layer.diff_id].push_back(std::move(form));
        }
      }
    }
  }

  // Every selected dropped layer of the slim archive, once per data entry, with where its bytes are.
  std::vector<Refill> choose(const RefillSelection& selection) const {
    std::vector<Refill> out;
    std::set<std::size_t> seen;
    for (const auto& image : slim_.images->images) {
      for (const auto& layer : image.layers) {
        if ((*slim_.entries)[layer.entry].size != 0 || seen.contains(layer.entry)) continue;
        if (selection && !selection->contains(layer.chain_id)) continue;
        seen.insert(layer.entry);
        out.push_back(choose(image, layer));
      }
    }
    return out;
  }

 private:
  // The first form that `usable` accepts, one with `chain_id` first.
  template <typename Usable>
  static const Form* pick(const std::vector<Form>& forms, const std::string& chain_id, Usable usable) {
    const Form* any = nullptr;
    for (const auto& form : forms) {
      if (!usable(form)) continue;
      if (form.chain_id == chain_id) return &form;
      if (any == nullptr) any = &form;
    }
    return any;
  }

  Refill choose(const image::Image& image, const image::Layer& layer) const {
    Refill refill{layer.entry, RefillMethod::copied, {}, &image, &layer};
    const auto expected = expected_digest(layer);
    if (const auto exact = by_digest_.find(expected); exact != by_digest_.end()) {
      refill.from = *pick(exact->second, layer.chain_id, [](const Form&) { return true; });
      return refill;
    }
    const auto forms = by_diff_id_.find(layer.diff_id);
    if (forms != by_diff_id_.end()) {
      if (expected == layer.diff_id) {
        const auto* compressed = pick(forms->second, layer.chain_id, [](const Form& form) {
          return form.compression == Compression::gzip || form.compression == Compression::zstd;
        });
        if (compressed != nullptr) {
          refill.method = RefillMethod::decompressed;
          refill.from = *compressed;
          return refill;
        }
      } else {
        // The smallest digest, as name_host_blobs chooses among the blobs it is given.
        const Form* other = nullptr;
        for (const auto& form : forms->second) {
          if (!form.digest.empty() && (other == nullptr || form.digest < other->digest)) other = &form;
        }
        if (other != nullptr) {
          refill.method = RefillMethod::other_form;
          refill.from = *other;
          return refill;
        }
      }
    }
    std::string problem =
        "layer " + layer.diff_id + " (chain " + layer.chain_id + ") of " + image.display_name() + " is not in any base";
    if (forms != by_diff_id_.end()) {
      problem += " as the blob it needs (" + expected + "); " + bases_[forms->second.front().base].name +
                 " holds it stored differently";
    }
    throw Error(slim_.name, problem);
  }

  const PlanInput& slim_;
  const std::vector<PlanInput>& bases_;
  std::map<std::string, std::vector<Form>> by_digest_;   // base layers by the digest of their stored bytes
  std::map<std::string, std::vector<Form>> by_diff_id_;  // base layers in every form, by diff_id
};

// docker save (legacy) stores a repeated layer once and links the other copies to it; where slim
// moved the data of a dropped original to a kept copy, that copy becomes a link to the refilled
// original again, and so do the links that reached the data through it.
void relink_repeated_layers(std::vector<archive::TarEntry>& merged, const PlanInput& slim, const std::vector<Refill>& refills) {
  const image::EntryIndex slim_index(*slim.entries, slim.name);
  std::map<std::string, std::size_t> refilled_by_diff_id;  // -> the refilled original's entry
  for (const auto& refill : refills) {
    if (refill.method != RefillMethod::other_form && !refill.layer->linked) refilled_by_diff_id.emplace(refill.layer->diff_id, refill.slim_entry);
  }
  std::map<std::size_t, std::size_t> moved_to_original;  // kept copy -> refilled original
  for (const auto& image : slim.images->images) {
    for (const auto& layer : image.layers) {
      const auto original = refilled_by_diff_id.find(layer.diff_id);
      if (original == refilled_by_diff_id.end() || layer.linked || layer.entry == original->second) continue;
      if ((*slim.entries)[layer.entry].size == 0) continue;
      moved_to_original.emplace(layer.entry, original->second);
    }
  }
  if (moved_to_original.empty()) return;
  const auto link_to = [&](archive::TarEntry& entry, std::size_t original) {
    entry.type = EntryType::symlink;
    entry.link_target = archive::relative_link(entry.path, merged[original].path);
    entry.size = 0;
    entry.magic.clear();
    entry.digest.reset();
    entry.data_offset.reset();
  };
  for (std::size_t i = 0; i < merged.size(); ++i) {
    const auto type = (*slim.entries)[i].type;
    if (type == EntryType::regular) {
      if (const auto moved = moved_to_original.find(i); moved != moved_to_original.end()) link_to(merged[i], moved->second);
    } else if (type == EntryType::symlink || type == EntryType::hardlink) {
      std::optional<std::size_t> target;
      try {
        target = slim_index.resolve(merged[i].path, merged[i].path);
      } catch (const Error&) {
        continue;  // a dangling link no image uses: passed through as it is
      }
      if (const auto moved = moved_to_original.find(*target); moved != moved_to_original.end()) link_to(merged[i], moved->second);
    }
  }
}

}  // namespace

std::vector<BlobToMeasure> blobs_to_measure(const PlanInput& slim, const std::vector<PlanInput>& bases,
                                            const RefillSelection& refill_chain_ids) {
  std::vector<BlobToMeasure> out;
  std::set<std::string> listed;
  for (const auto& refill : RefillChooser(slim, bases).choose(refill_chain_ids)) {
    if (refill.method != RefillMethod::decompressed || refill.layer->descriptor_size) continue;
    if (listed.insert(refill.layer->diff_id).second) out.push_back({refill.from.base, refill.from.entry, refill.layer->diff_id});
  }
  return out;
}

RestorePlan plan_restore(const PlanInput& slim, const std::vector<PlanInput>& bases, LayoutMode mode,
                         const RefillSelection& refill_chain_ids, const MeasuredSizes& measured) {
  const auto& slim_entries = *slim.entries;
  const auto refills = RefillChooser(slim, bases).choose(refill_chain_ids);

  // Dropped layers that stay empty here: those not selected, and those written as another form,
  // whose emptied entries name_host_blobs renames (given that form as the blob the host holds) before
  // they are refilled below.
  image::BaseSet left_empty;
  if (refill_chain_ids) {
    for (const auto& image : slim.images->images) {
      for (const auto& layer : image.layers) {
        if (slim_entries[layer.entry].size == 0 && !refill_chain_ids->contains(layer.chain_id)) {
          left_empty.add_chain_id(slim.name, image.display_name(), layer.chain_id);
        }
      }
    }
  }

  // The slim catalog with each refilled entry standing for what will be written there, read again
  // and planned as an archive that drops nothing else.
  RestorePlan result;
  std::map<std::size_t, const Refill*> refill_of;  // slim data entry -> its refill
  std::map<std::string, const Refill*> other_form_of;  // digest the slim archive named -> its refill
  std::vector<archive::TarEntry> merged = slim_entries;
  for (const auto& refill : refills) {
    const auto& layer = *refill.layer;
    const auto& from = refill.from;
    result.refilled.push_back({refill.image->display_name(), layer.diff_id, layer.chain_id, slim_entries[refill.slim_entry].path,
                               bases[from.base].name, (*bases[from.base].entries)[from.entry].path, refill.method, {}, {}});
    auto& replacement = merged[refill.slim_entry];
    switch (refill.method) {
      case RefillMethod::copied:
        replacement = (*bases[from.base].entries)[from.entry];
        replacement.path = slim_entries[refill.slim_entry].path;
        replacement.mode = slim_entries[refill.slim_entry].mode;
        replacement.mtime = slim_entries[refill.slim_entry].mtime;
        break;
      case RefillMethod::decompressed: {
        const auto size = layer.descriptor_size ? layer.descriptor_size : [&]() -> std::optional<std::uint64_t> {
          const auto it = measured.find(layer.diff_id);
          return it == measured.end() ? std::nullopt : std::optional(it->second);
        }();
        if (!size) throw Error(slim.name, "layer " + layer.diff_id + ": its decompressed size was not measured (blobs_to_measure)");
        replacement.size = *size;
        replacement.magic.clear();  // an uncompressed tar, as the slim archive names it
        replacement.digest = layer.diff_id;
        replacement.data_offset.reset();
        break;
      }
      case RefillMethod::other_form:
        left_empty.add_chain_id(slim.name, refill.image->display_name(), layer.chain_id);
        left_empty.add_blob({layer.diff_id, from.digest, from.media_type, from.size});
        other_form_of.emplace(layer.blob_digest, &refill);
        continue;
    }
    refill_of.emplace(refill.slim_entry, &refill);
  }
  if (mode == LayoutMode::keep && slim.images->layout == image::Layout::legacy) relink_repeated_layers(merged, slim, refills);

  const image::EntryIndex index(merged, slim.name);
  const auto images = image::read_image_archive(index);
  // (The record gives the true sizes of layers left empty, for a legacy archive's conversion.)
  result.plan = plan_slim({PlanInput{slim.name, &merged, &images, slim.record}}, left_empty, mode);

  // Refilled entries come from their base (input 1 + base index); no slim record.
  auto& entries = result.plan.entries;
  entries.erase(std::remove_if(entries.begin(), entries.end(), [](const PlannedEntry& e) { return e.path == kSlimRecordPath; }),
                entries.end());
  std::map<std::string, const Refill*> other_form_at;  // the renamed blob's path -> its refill
  for (const auto& renamed : result.plan.renamed_blobs) {
    if (const auto it = other_form_of.find(renamed.archive_blob); it != other_form_of.end()) {
      other_form_at.emplace(image::blob_path(renamed.host_blob), it->second);
    }
  }
  for (auto& entry : entries) {
    if (entry.kind == Kind::copy) {
      const auto it = refill_of.find(entry.entry);
      if (it == refill_of.end()) continue;
      const auto& refill = *it->second;
      entry.input = 1 + refill.from.base;
      entry.entry = refill.from.entry;
      if (refill.method == RefillMethod::decompressed) {
        entry.kind = Kind::decompressed_copy;
        entry.expected_digest = refill.layer->diff_id;
      }
    } else if (entry.kind == Kind::empty) {
      const auto it = other_form_at.find(entry.path);
      if (it == other_form_at.end()) continue;
      const auto& from = it->second->from;
      entry.kind = Kind::copy;
      entry.input = 1 + from.base;
      entry.entry = from.entry;
      entry.size = from.size;
      other_form_at.erase(it);
    }
  }
  for (auto& refilled : result.refilled) {
    if (refilled.method != RefillMethod::other_form) continue;
    const auto it = std::find_if(refills.begin(), refills.end(), [&](const Refill& r) { return r.layer->chain_id == refilled.chain_id; });
    refilled.blob_digest = it->from.digest;
    refilled.media_type = it->from.media_type;
    const bool renamed = std::any_of(result.plan.renamed_blobs.begin(), result.plan.renamed_blobs.end(),
                                     [&](const RenamedLayerBlob& r) { return r.host_blob == it->from.digest; });
    if (!renamed) {
      throw Error(slim.name, "layer " + refilled.diff_id + " of " + refilled.image + ": " + refilled.base + " holds it as " +
                  it->from.digest + " only, and the manifests naming " + it->layer->blob_digest + " cannot be rewritten");
    }
  }
  return result;
}

}  // namespace dockerdiff::plan
