#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "dockerdiff/plan/slim_plan.hpp"

// The pure middle of `restore`: which base entry refills each dropped (zero-length) layer of a slim
// archive, and every entry of the restored archive. No I/O happens here.
namespace dockerdiff::plan {

struct RefilledLayer {
  std::string image;      // display name of the slim image that needed it
  std::string diff_id;
  std::string chain_id;
  std::string path;       // where the slim archive holds the empty file
  std::string base;       // the base it is copied from
  std::string base_path;  // the entry of that base
};

struct RestorePlan {
  // Entries refer to inputs in the order {slim, bases[0], bases[1], ...}.
  SlimPlan plan;
  std::vector<RefilledLayer> refilled;  // one per refilled entry
};

// Plans the restored archive. A dropped layer (zero-length data) is refilled from a base layer whose
// stored bytes are the ones the slim archive names: the same blob digest for an OCI descriptor, an
// uncompressed tar with the same diff_id for a layer known only from manifest.json (legacy). A base
// layer with the same chain ID is preferred; any base layer with those bytes is accepted (content
// addressed). The slim record (dockerdiff.json) is dropped. `mode` works as for slim: automatic
// turns a legacy slim archive into the Docker 25+ layout, keep keeps its layout and entry names
// (entries are kept in their slim form: a layer file slim moved to a linked path stays a regular
// file there, and the emptied original is refilled, so names and resolved contents equal the
// original's).
// Throws Error naming the layer and image when no base holds a dropped layer.
RestorePlan plan_restore(const PlanInput& slim, const std::vector<PlanInput>& bases, LayoutMode mode);

}  // namespace dockerdiff::plan
