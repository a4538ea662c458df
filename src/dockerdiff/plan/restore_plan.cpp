#include "dockerdiff/plan/restore_plan.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/plan/slim_record.hpp"

namespace dockerdiff::plan {

namespace {

using Kind = PlannedEntry::Kind;

struct Candidate {
  std::size_t base = 0;   // index into bases
  std::size_t entry = 0;  // that base's data entry
  std::string chain_id;
};

// The digest of the bytes a layer is stored as: the descriptor's digest, or for a layer known only
// from manifest.json its diff_id when the data is an uncompressed tar. Empty when unknown.
std::string stored_digest(const image::Layer& layer, const archive::TarEntry& data) {
  if (!layer.blob_digest.empty()) return layer.blob_digest;
  if (archive::detect_compression(data.magic) == archive::Compression::none) return layer.diff_id;
  return {};
}

// What a dropped slim layer must be refilled with (its data is empty, so nothing to sniff: a layer
// without a descriptor is an uncompressed tar, as docker save writes it).
std::string expected_digest(const image::Layer& layer) { return layer.blob_digest.empty() ? layer.diff_id : layer.blob_digest; }

}  // namespace

RestorePlan plan_restore(const PlanInput& slim, const std::vector<PlanInput>& bases, LayoutMode mode) {
  const auto& slim_entries = *slim.entries;

  // Every base layer that holds data, by the digest of its stored bytes.
  std::map<std::string, std::vector<Candidate>> by_digest;
  std::map<std::string, std::vector<std::string>> chain_holders;  // chain ID -> bases holding it in any form
  for (std::size_t b = 0; b < bases.size(); ++b) {
    for (const auto& image : bases[b].images->images) {
      for (const auto& layer : image.layers) {
        const auto& data = (*bases[b].entries)[layer.entry];
        if (data.size == 0) continue;  // a slim base: dropped there too
        chain_holders[layer.chain_id].push_back(bases[b].name);
        const auto digest = stored_digest(layer, data);
        if (!digest.empty()) by_digest[digest].push_back({b, layer.entry, layer.chain_id});
      }
    }
  }

  RestorePlan result;
  std::map<std::size_t, Candidate> refill;  // slim data entry -> where its bytes are
  for (const auto& image : slim.images->images) {
    for (const auto& layer : image.layers) {
      if (slim_entries[layer.entry].size != 0 || refill.contains(layer.entry)) continue;
      const auto expected = expected_digest(layer);
      const auto found = by_digest.find(expected);
      if (found == by_digest.end()) {
        std::string problem =
            "layer " + layer.diff_id + " (chain " + layer.chain_id + ") of " + image.display_name() + " is not in any base";
        if (const auto other = chain_holders.find(layer.chain_id); other != chain_holders.end()) {
          problem += " as the blob it needs (" + expected + "); " + other->second.front() + " holds it stored differently";
        }
        throw Error(slim.name, problem);
      }
      const auto& candidates = found->second;
      const auto same_chain = std::find_if(candidates.begin(), candidates.end(),
                                           [&](const Candidate& c) { return c.chain_id == layer.chain_id; });
      const auto& chosen = same_chain != candidates.end() ? *same_chain : candidates.front();
      refill.emplace(layer.entry, chosen);
      result.refilled.push_back({image.display_name(), layer.diff_id, layer.chain_id, slim_entries[layer.entry].path,
                                 bases[chosen.base].name, (*bases[chosen.base].entries)[chosen.entry].path});
    }
  }

  // The slim catalog with each refilled entry standing for its base entry (size, first bytes,
  // digest, offset), read again and planned as an archive that drops nothing.
  std::vector<archive::TarEntry> merged = slim_entries;
  for (const auto& [entry, from] : refill) {
    auto replacement = (*bases[from.base].entries)[from.entry];
    replacement.path = slim_entries[entry].path;
    replacement.mode = slim_entries[entry].mode;
    replacement.mtime = slim_entries[entry].mtime;
    merged[entry] = std::move(replacement);
  }
  const image::EntryIndex index(merged, slim.name);
  const auto images = image::read_image_archive(index);
  result.plan = plan_slim({PlanInput{slim.name, &merged, &images}}, image::BaseSet{}, mode);

  // Copies of refilled entries come from their base (input 1 + base index); no slim record.
  auto& entries = result.plan.entries;
  entries.erase(std::remove_if(entries.begin(), entries.end(), [](const PlannedEntry& e) { return e.path == kSlimRecordPath; }),
                entries.end());
  for (auto& entry : entries) {
    if (entry.kind != Kind::copy) continue;
    if (const auto it = refill.find(entry.entry); it != refill.end()) {
      entry.input = 1 + it->second.base;
      entry.entry = it->second.entry;
    }
  }
  return result;
}

}  // namespace dockerdiff::plan
