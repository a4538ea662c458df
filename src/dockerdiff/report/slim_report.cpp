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
  std::uint64_t before = 0;
  std::uint64_t after = 0;
};

ImageTotals totals(const plan::ImageDecision& image) {
  ImageTotals out;
  for (const auto& layer : image.layers) {
    out.before += layer.size;
    if (layer.dropped) {
      ++out.dropped;
    } else {
      ++out.kept;
      out.after += layer.size;
    }
  }
  return out;
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
                       {"host_blobs", host_blobs_json(output.renamed_blobs)}});
  }
  auto images = json::array();
  for (const auto& image : report.images) {
    auto layers = json::array();
    for (const auto& layer : image.layers) {
      layers.push_back({{"diff_id", layer.diff_id},
                        {"chain_id", layer.chain_id},
                        {"size", layer.size},
                        {"dropped", layer.dropped},
                        {"provided_by", layer.dropped ? json(layer.provided_by) : json(nullptr)}});
    }
    const auto sums = totals(image);
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
    text << "dockerdiff: wrote " << output.path << " (" << output.layout << " layout)\n";
  }
  for (const auto& image : report.images) {
    const auto sums = totals(image);
    text << "  " << image_name(image) << ": " << sums.kept << " layers kept, " << sums.dropped << " dropped, "
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
  md << "\n| Image | Layers kept | Layers dropped | Layer bytes before | After | Saved |\n"
     << "|---|---:|---:|---:|---:|---:|\n";
  for (const auto& image : report.images) {
    const auto sums = totals(image);
    md << "| `" << image_name(image) << "` | " << sums.kept << " | " << sums.dropped << " | " << human_bytes(sums.before)
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
  return md.str();
}

}  // namespace dockerdiff::report
