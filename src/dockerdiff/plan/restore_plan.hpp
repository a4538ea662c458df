#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dockerdiff/plan/slim_plan.hpp"

// The pure middle of `restore`: which base entry refills each dropped (zero-length) layer of a slim
// archive, and every entry of the restored archive. No I/O happens here.
namespace dockerdiff::plan {

// How a dropped layer is refilled. A layer has one identity (its diff_id) and several forms: the
// uncompressed tar (digest == diff_id) and gzip / zstd blobs with digests of their own.
enum class RefillMethod {
  copied,        // a base holds the very blob the slim archive names
  decompressed,  // the slim archive names the uncompressed tar; a base holds it gzip / zstd
  // the slim archive names a blob no base holds: a base's other form of the layer is written, and
  // its descriptor and every digest above it (manifest, indexes, manifest.json) are rewritten
  other_form,
};

struct RefilledLayer {
  std::string image;      // display name of the slim image that needed it
  std::string diff_id;
  std::string chain_id;
  std::string path;       // where the slim archive holds the empty file
  std::string base;       // the base it is copied from
  std::string base_path;  // the entry of that base
  RefillMethod method = RefillMethod::copied;
  std::string blob_digest;  // other_form: the blob written instead of the one the slim archive named
  std::string media_type;   // other_form: that blob's media type
};

struct RestorePlan {
  // Entries refer to inputs in the order {slim, bases[0], bases[1], ...}.
  SlimPlan plan;
  std::vector<RefilledLayer> refilled;  // one per refilled entry
};

// A compressed base blob whose decompressed size the plan needs and no descriptor gives (a legacy
// slim layer refilled by decompression): the caller reads it through once, counting and hashing.
struct BlobToMeasure {
  std::size_t base = 0;   // index into bases
  std::size_t entry = 0;  // that base's data entry
  std::string diff_id;    // what the decompressed bytes must hash to
};
// diff_id -> decompressed size of the layer, measured from a BlobToMeasure whose digest was checked.
using MeasuredSizes = std::map<std::string, std::uint64_t>;

// The dropped layers to refill, by chain ID; nullopt: every dropped layer.
using RefillSelection = std::optional<std::set<std::string>>;

// The blobs plan_restore needs measured for these arguments (each diff_id once).
std::vector<BlobToMeasure> blobs_to_measure(const PlanInput& slim, const std::vector<PlanInput>& bases,
                                            const RefillSelection& refill_chain_ids = std::nullopt);

// Plans the restored archive. A dropped layer (zero-length data) is refilled, in this order of
// preference, from a base layer stored as the very blob the slim archive names (an OCI descriptor's
// digest; for a layer known only from manifest.json, an uncompressed tar with its diff_id); when the
// slim archive names the uncompressed tar, from a gzip / zstd blob of the same diff_id, decompressed
// (its size from the slim descriptor or, for a legacy layer, from `measured`); otherwise from a base
// blob of the same diff_id in another form, which the manifests then name (plan::name_host_blobs).
// Among equal candidates a base layer with the same chain ID is preferred (content addressed).
// Only the layers whose chain IDs `refill_chain_ids` lists are refilled (nullopt: all); the others
// stay empty. The slim record (dockerdiff.json) is dropped. `mode` works as for slim: automatic
// turns a legacy slim archive into the Docker 25+ layout; keep keeps its layout and entry names, and
// a repeated legacy layer whose data slim moved to a linked path is linked to the refilled original
// again (docker save stores a repeated layer once).
// Throws Error naming the layer and image when no base holds a selected dropped layer in a usable form.
RestorePlan plan_restore(const PlanInput& slim, const std::vector<PlanInput>& bases, LayoutMode mode,
                         const RefillSelection& refill_chain_ids = std::nullopt, const MeasuredSizes& measured = {});

}  // namespace dockerdiff::plan
