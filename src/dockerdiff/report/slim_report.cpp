#include "dockerdiff/report/slim_report.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dockerdiff/report/format.hpp"

namespace dockerdiff::report {

using nlohmann::json;

namespace {

struct ImageTotals {
  std::size_t kept = 0;
  std::size_t dropped = 0;
  std::size_t patched = 0;
  std::uint64_t before = 0;
  std::uint64_t after = 0;  // a patched layer counts its patch's bytes
};

const plan::LayerPatch* patch_of(const SlimReport& report, const std::string& diff_id) {
  for (const auto& patch : report.patches) {
    if (patch.diff_id == diff_id) return &patch;
  }
  return nullptr;
}

ImageTotals totals(const SlimReport& report, const plan::ImageDecision& image) {
  ImageTotals out;
  for (const auto& layer : image.layers) {
    out.before += layer.size;
    if (layer.dropped) {
      ++out.dropped;
    } else if (const auto* patch = patch_of(report, layer.diff_id)) {
      ++out.patched;
      out.after += patch->patch_bytes();
    } else {
      ++out.kept;
      out.after += layer.size;
    }
  }
  return out;
}

std::string reference_name(const plan::ReferenceLayer& reference) {
  return reference.images.empty() ? reference.provided_by : reference.images.front();
}

double ratio(std::uint64_t saved, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(saved) / static_cast<double>(whole);
}

std::int64_t saved_bytes(std::uint64_t before, std::uint64_t after) {
  return static_cast<std::int64_t>(before) - static_cast<std::int64_t>(after);
}

double saved_ratio(std::uint64_t before, std::uint64_t after) {
  return before == 0 ? 0.0 : static_cast<double>(saved_bytes(before, after)) / static_cast<double>(before);
}

// "105.2 KiB" for a plain tar, "105.2 KiB gzip" for a compressed one.
std::string stored_size(std::uint64_t bytes, const std::string& compression) {
  return compression == "none" ? human_bytes(bytes) : human_bytes(bytes) + " " + compression;
}

bool any_compressed(const SlimReport& report) {
  for (const auto& output : report.outputs) {
    if (output.input_compression != "none" || output.output_compression != "none") return true;
  }
  return false;
}

std::string image_name(const plan::ImageDecision& image) {
  return image.tags.empty() ? short_digest(image.config_digest) : image.tags.front();
}

json host_blobs_json(const std::vector<plan::RenamedLayerBlob>& renamed) {
  auto list = json::array();
  for (const auto& blob : renamed) {
    list.push_back({{"diff_id", blob.diff_id}, {"archive_blob", blob.archive_blob}, {"host_blob", blob.host_blob}, {"media_type", blob.media_type}});
  }
  return list;
}

// Said wherever sizes are: the manifest digests differ from the CI's, for a reason.
std::string renamed_note(const OutputReport& output) {
  const auto count = output.renamed_blobs.size();
  return std::to_string(count) + " dropped layer" + (count == 1 ? "" : "s") + " named as the blob the host holds (from its "
         "inventory), so that the image loads complete on its containerd image store: manifest digests differ from the "
         "input's, config digests do not";
}

}  // namespace

std::uint64_t SlimReport::input_bytes() const {
  std::uint64_t total = 0;
  for (const auto& output : outputs) total += output.input_bytes;
  return total;
}

std::uint64_t SlimReport::output_bytes() const {
  std::uint64_t total = 0;
  for (const auto& output : outputs) total += output.output_bytes;
  return total;
}

json to_json(const SlimReport& report) {
  auto outputs = json::array();
  for (const auto& output : report.outputs) {
    outputs.push_back({{"path", output.path},
                       {"inputs", output.inputs},
                       {"layout", output.layout},
                       {"input_bytes", output.input_bytes},
                       {"output_bytes", output.output_bytes},
                       {"input_compression", output.input_compression},
                       {"output_compression", output.output_compression},
                       {"host_blobs", host_blobs_json(output.renamed_blobs)},
                       {"delta", output.delta}});
  }
  auto images = json::array();
  for (const auto& image : report.images) {
    auto layers = json::array();
    for (const auto& layer : image.layers) {
      const auto* patch = layer.dropped ? nullptr : patch_of(report, layer.diff_id);
      json delta = nullptr;
      if (patch != nullptr) {
        delta = {{"reference_diff_id", patch->reference.diff_id},
                 {"reference_chain_id", patch->reference.chain_id},
                 {"reference_images", patch->reference.images},
                 {"provided_by", patch->reference.provided_by},
                 {"patch_bytes", patch->patch_bytes()},
                 {"parts", patch->parts.size()}};
      }
      layers.push_back({{"diff_id", layer.diff_id},
                        {"chain_id", layer.chain_id},
                        {"size", layer.size},
                        {"dropped", layer.dropped},
                        {"state", layer.dropped ? "dropped" : patch != nullptr ? "delta" : "kept"},
                        {"provided_by", layer.dropped ? json(layer.provided_by) : json(nullptr)},
                        {"delta", delta}});
    }
    const auto sums = totals(report, image);
    images.push_back({{"input", image.input},
                      {"tags", image.tags},
                      {"config_digest", image.config_digest},
                      {"bytes_before", sums.before},
                      {"bytes_after", sums.after},
                      {"layers", layers}});
  }
  const auto in = report.input_bytes();
  const auto out = report.output_bytes();
  return {{"schema", "dockerdiff.report/v1"},
          {"input_bytes", in},
          {"output_bytes", out},
          {"saved_bytes", saved_bytes(in, out)},
          {"saved_ratio", std::round(saved_ratio(in, out) * 10000.0) / 10000.0},
          {"outputs", outputs},
          {"images", images}};
}

std::string to_text(const SlimReport& report) {
  std::ostringstream text;
  for (const auto& output : report.outputs) {
    text << "dockerdiff: wrote " << output.path << " (" << output.layout << " layout" << (output.delta ? ", delta archive" : "") << ")\n";
  }
  for (const auto& image : report.images) {
    const auto sums = totals(report, image);
    text << "  " << image_name(image) << ": " << sums.kept << " layers kept, " << sums.dropped << " dropped, "
         << (sums.patched != 0 ? std::to_string(sums.patched) + " as patches, " : std::string())
         << human_bytes(sums.before) << " -> " << human_bytes(sums.after) << " of layers (saved "
         << percent(ratio(sums.before - sums.after, sums.before)) << ")\n";
  }
  for (const auto& output : report.outputs) {
    text << "  archive" << (report.outputs.size() > 1 ? " " + output.path : std::string()) << ": "
         << stored_size(output.input_bytes, output.input_compression) << " -> "
         << stored_size(output.output_bytes, output.output_compression) << " (saved "
         << percent(saved_ratio(output.input_bytes, output.output_bytes)) << ")\n";
  }
  if (any_compressed(report)) {
    text << "  (layer figures are uncompressed bytes; archive figures are the files as stored, compressed)\n";
  }
  for (const auto& output : report.outputs) {
    if (!output.renamed_blobs.empty()) text << "  " << output.path << ": " << renamed_note(output) << "\n";
  }
  for (const auto& patch : report.patches) {
    text << "  patch: " << short_digest(patch.diff_id) << " " << human_bytes(patch.size) << " -> " << human_bytes(patch.patch_bytes())
         << " against " << short_digest(patch.reference.diff_id) << " of " << reference_name(patch.reference) << "\n";
  }
  if (!report.patches.empty()) text << "  (a delta archive loads with `dockerdiff load` on a host that holds the references)\n";
  return text.str();
}

std::string to_markdown(const SlimReport& report) {
  std::ostringstream md;
  const auto in = report.input_bytes();
  const auto out = report.output_bytes();
  md << "### dockerdiff: slim image archives\n\n";
  md << "**" << human_bytes(in) << " → " << human_bytes(out) << "**, saved " << percent(saved_ratio(in, out)) << "\n\n";
  md << "| Artifact | Layout | Before | After | Saved |\n|---|---|---:|---:|---:|\n";
  for (const auto& output : report.outputs) {
    md << "| `" << output.path << "` | " << output.layout << " | "
       << stored_size(output.input_bytes, output.input_compression) << " | "
       << stored_size(output.output_bytes, output.output_compression) << " | " << percent(saved_ratio(output.input_bytes, output.output_bytes))
       << " |\n";
  }
  if (any_compressed(report)) {
    md << "\nArtifact sizes are the files as stored (compressed); layer bytes are uncompressed.\n";
  }
  for (const auto& output : report.outputs) {
    if (!output.renamed_blobs.empty()) md << "\n`" << output.path << "`: " << renamed_note(output) << ".\n";
  }
  // The patches column only for a delta archive: a slim archive's summary stays as it always was.
  const bool delta = !report.patches.empty();
  md << "\n| Image | Layers kept | Layers dropped | " << (delta ? "Layers as patches | " : "") << "Layer bytes before | After | Saved |\n"
     << "|---|---:|---:|" << (delta ? "---:|" : "") << "---:|---:|---:|\n";
  for (const auto& image : report.images) {
    const auto sums = totals(report, image);
    md << "| `" << image_name(image) << "` | " << sums.kept << " | " << sums.dropped << " | "
       << (delta ? std::to_string(sums.patched) + " | " : std::string()) << human_bytes(sums.before)
       << " | " << human_bytes(sums.after) << " | " << percent(ratio(sums.before - sums.after, sums.before)) << " |\n";
  }
  md << "\n<details><summary>Layers the host must already have</summary>\n\n"
     << "| Image | Chain ID | Size | Provided by |\n|---|---|---:|---|\n";
  for (const auto& image : report.images) {
    for (const auto& layer : image.layers) {
      if (!layer.dropped) continue;
      md << "| `" << image_name(image) << "` | `" << short_digest(layer.chain_id) << "` | " << human_bytes(layer.size)
         << " | `" << layer.provided_by << "` |\n";
    }
  }
  md << "\n</details>\n";
  if (delta) {
    md << "\n<details><summary>Layers shipped as patches (the host must hold each reference)</summary>\n\n"
       << "| Layer | Size | Patch | Reference layer | Reference chain ID | Of |\n|---|---:|---:|---|---|---|\n";
    for (const auto& patch : report.patches) {
      md << "| `" << short_digest(patch.diff_id) << "` | " << human_bytes(patch.size) << " | " << human_bytes(patch.patch_bytes()) << " | `"
         << short_digest(patch.reference.diff_id) << "` | `" << short_digest(patch.reference.chain_id) << "` | `"
         << reference_name(patch.reference) << "` |\n";
    }
    md << "\n</details>\n";
  }
  return md.str();
}

}  // namespace dockerdiff::report
