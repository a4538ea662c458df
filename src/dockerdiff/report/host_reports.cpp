#include "dockerdiff/report/host_reports.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "dockerdiff/report/format.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::report {

namespace {

// One printable line, whatever the archive's names hold (see printable_line).
std::string line_of(const std::string& archive, const image::Problem& problem) {
  return printable_line(archive + ": " + (problem.path.empty() ? "" : problem.path + ": ") + problem.problem);
}

std::string image_name(const plan::ImageRequirement& image) {
  return image.tags.empty() ? short_digest(image.config_digest) : image.tags.front();
}

void write_missing(std::ostream& out, const plan::ImageCheck& check) {
  const auto& image = *check.image;
  out << image_name(image) << ": missing " << check.missing.size() << " of " << image.required.size()
      << " layers the host must have:\n";
  for (const auto* layer : check.missing) {
    out << "  chain " << layer->chain_id << " (diff_id " << short_digest(layer->diff_id) << ")";
    if (!layer->provided_by.empty()) out << " from " << layer->provided_by;
    if (!layer->base_images.empty()) {
      out << " [";
      for (std::size_t i = 0; i < layer->base_images.size(); ++i) out << (i ? ", " : "") << layer->base_images[i];
      out << "]";
    }
    out << "\n";
  }
}

void write_incomplete(std::ostream& out, const plan::StoreCheck& check) {
  const auto& image = *check.image;
  out << image_name(image) << ": loads, but incomplete in docker's containerd image store: " << check.absent.size() << " of "
      << image.required.size() << " layers it leaves out are not in the content store as the blob the archive names:\n";
  for (const auto* layer : check.absent) {
    out << "  chain " << layer->chain_id << ": ";
    if (layer->blob_digest.empty()) {
      out << "the legacy layout names no blob (containerd records the emptied file as the empty blob)\n";
    } else {
      out << "blob " << layer->blob_digest << " absent (the host holds the layer in another form)\n";
    }
  }
  out << "  docker save of it would exit 0 writing no layers, and docker push would fail. Remedy: docker load the base "
         "as the blobs the archive names (the base archive it was slimmed against), or slim it against the base in "
         "the form this host holds (with --layout auto)\n";
}

}  // namespace

std::string verify_problem_lines(const std::string& archive, const image::VerifyResult& result) {
  std::string out;
  for (const auto& problem : result.problems) out += line_of(archive, problem) + "\n";
  return out;
}

std::string verify_summary(const std::string& archive, const image::VerifyResult& result) {
  if (result.sound()) {
    return printable_line(archive) + ": sound (" + std::to_string(result.layers_checked) + " layers, " +
           std::to_string(result.blobs_checked) + " blobs checked)\n";
  }
  return printable_line(archive) + ": " + std::to_string(result.problems.size()) +
         (result.problems.size() == 1 ? " problem" : " problems") + "\n";
}

nlohmann::json verify_json(const std::string& archive, const image::VerifyResult& result) {
  auto problems = nlohmann::json::array();
  for (const auto& problem : result.problems) {
    problems.push_back({{"path", problem.path}, {"problem", problem.problem}, {"message", line_of(archive, problem)}});
  }
  return {{"archive", archive},
          {"sound", result.sound()},
          {"problems", problems},
          {"layers_checked", result.layers_checked},
          {"blobs_checked", result.blobs_checked}};
}

std::string check_text(const CheckOutcome& outcome) {
  std::ostringstream out;
  for (const auto& check : outcome.missing) write_missing(out, check);
  for (const auto& check : outcome.incomplete) write_incomplete(out, check);
  for (const auto* image : outcome.complete) {
    out << image_name(*image) << ": ok (" << image->required.size() << " layers come from the host"
        << (outcome.content_store_checked ? ", as the blobs the archive names" : "") << ")\n";
  }
  return out.str();
}

std::string check_warning(const CheckOutcome& outcome) {
  if (outcome.content_store_unlistable.empty()) return "";
  return "dockerdiff: warning: docker uses the containerd image store, and its content cannot be listed (" +
         outcome.content_store_unlistable +
         "): an image loaded without the blobs of its dropped layers is incomplete (docker save writes no layers, docker "
         "push fails), and this check cannot tell\n";
}

std::string load_refusal(const std::vector<plan::ImageCheck>& missing) {
  std::size_t count = 0;
  for (const auto& check : missing) count += check.missing.size();
  const auto& first = missing.front();
  const auto& layer = *first.missing.front();
  std::string text = "not loaded: " + image_name(*first.image) + " needs layer " + short_digest(layer.diff_id) + " (chain " +
                     layer.chain_id + ")";
  if (!layer.provided_by.empty()) {
    text += " from " + layer.provided_by;
    if (!layer.base_images.empty()) text += " [" + layer.base_images.front() + "]";
  }
  text += ", which this host does not hold";
  if (count > 1) text += "; " + std::to_string(count) + " layers missing in all (dockerdiff check lists them)";
  return printable_line(text);
}

std::string load_summary(const std::string& archive, const LoadSummary& summary) {
  std::string text = "dockerdiff load: " + printable_line(archive) + ": " + std::to_string(summary.from_host) + " layer" +
                     (summary.from_host == 1 ? "" : "s") + " from the host";
  if (summary.refilled > 0) {
    text += ", " + std::to_string(summary.refilled) + " of them written from its images (";
    for (std::size_t i = 0; i < summary.providers.size(); ++i) text += (i ? ", " : "") + printable_line(summary.providers[i]);
    text += ") because its containerd store lacks the blob the archive names";
  }
  if (summary.renamed > 0) {
    text += "; " + std::to_string(summary.renamed) + " named as the blob the host holds, so the manifest digest (the "
            "image ID in a containerd store) differs from the archive's";
  }
  return text + "\n";
}

std::string restore_summary(const std::string& output, const plan::RestorePlan& restore) {
  std::string out = "dockerdiff restore: " + output + ": " + std::to_string(restore.refilled.size()) + " layer" +
                    (restore.refilled.size() == 1 ? "" : "s") + " refilled, " +
                    std::string(image::layout_name(restore.plan.layout)) + " layout\n";
  // A plain copy needs no word; the other forms change what the output holds or names.
  for (const auto& layer : restore.refilled) {
    const auto subject = "  layer " + layer.diff_id + " of " + layer.image + ": ";
    if (layer.method == plan::RefillMethod::decompressed) {
      out += printable_line(subject + "decompressed from " + layer.base + ": " + layer.base_path) + "\n";
    } else if (layer.method == plan::RefillMethod::other_form) {
      out += printable_line(subject + "no base holds the blob the archive names; written as " + layer.blob_digest + " (" +
                            layer.media_type + ") from " + layer.base + ", descriptor rewritten (the manifest digest " +
                            "changes, the config digest does not)") + "\n";
    }
  }
  return out;
}

}  // namespace dockerdiff::report
