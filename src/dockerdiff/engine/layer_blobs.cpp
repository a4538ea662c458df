#include "dockerdiff/engine/layer_blobs.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "dockerdiff/engine/subprocess.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::engine {

namespace {

using nlohmann::json;

// Indexes nest: an image's index lists per-platform manifests (and attestations).
constexpr int kMaxDepth = 4;

class BlobWalker {
 public:
  BlobWalker(const ContainerdStore& store, std::set<std::string> content) : store_(store), content_(std::move(content)) {}

  // `ctr images ls`: REF TYPE DIGEST SIZE PLATFORMS LABELS; the targets are the third column.
  std::vector<std::string> image_targets() {
    const auto result = ctr({"images", "ls"});
    std::vector<std::string> targets;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string ref, type, digest;
      if (fields >> ref >> type >> digest && is_sha256_digest(digest)) targets.push_back(digest);
    }
    return targets;
  }

  void walk(const std::string& digest, int depth) {
    if (depth > kMaxDepth || !content_.contains(digest) || !walked_.insert(digest).second) return;
    const auto document = json_blob(digest);
    if (!document) return;
    if (const auto manifests = document->find("manifests"); manifests != document->end() && manifests->is_array()) {
      for (const auto& descriptor : *manifests) {
        if (const auto nested = digest_of(descriptor)) walk(*nested, depth + 1);
      }
      return;
    }
    const auto layers = document->find("layers");
    const auto config = document->find("config");
    if (layers == document->end() || !layers->is_array() || config == document->end()) return;
    const auto config_digest = digest_of(*config);
    if (!config_digest || !content_.contains(*config_digest)) return;
    const auto diff_ids = diff_ids_of(*config_digest);
    if (diff_ids.size() != layers->size()) return;
    for (std::size_t i = 0; i < diff_ids.size(); ++i) {
      const auto& descriptor = (*layers)[i];
      const auto layer_digest = digest_of(descriptor);
      if (!layer_digest || !content_.contains(*layer_digest)) continue;
      const auto media_type = descriptor.value("mediaType", std::string());
      const auto size = descriptor.contains("size") && descriptor.at("size").is_number_unsigned()
                            ? descriptor.at("size").get<std::uint64_t>()
                            : 0;
      blobs_.push_back({diff_ids[i], *layer_digest, media_type, size});
    }
  }

  std::vector<image::HostBlob> take() { return std::move(blobs_); }

 private:
  CommandResult ctr(std::vector<std::string> args) const {
    args.insert(args.begin(), {"ctr", "--address", store_.address, "--namespace", store_.name_space});
    auto result = run_command(args);
    if (result.exit_code != 0) {
      throw Error("ctr " + args[5] + " " + args[6] + " on " + store_.address, "failed: " + result.err.substr(0, result.err.find('\n')));
    }
    return result;
  }

  std::optional<json> json_blob(const std::string& digest) const {
    const auto result = ctr({"content", "get", digest});
    auto document = json::parse(result.out, nullptr, false);
    if (document.is_discarded() || !document.is_object()) return std::nullopt;
    return document;
  }

  static std::optional<std::string> digest_of(const json& descriptor) {
    if (!descriptor.is_object() || !descriptor.contains("digest") || !descriptor.at("digest").is_string()) return std::nullopt;
    auto digest = descriptor.at("digest").get<std::string>();
    if (!is_sha256_digest(digest)) return std::nullopt;
    return digest;
  }

  std::vector<std::string> diff_ids_of(const std::string& config_digest) const {
    std::vector<std::string> out;
    const auto config = json_blob(config_digest);
    if (!config || !config->contains("rootfs") || !config->at("rootfs").is_object()) return out;
    const auto& ids = config->at("rootfs").value("diff_ids", json::array());
    for (const auto& id : ids) {
      if (!id.is_string() || !is_sha256_digest(id.get<std::string>())) return {};
      out.push_back(id.get<std::string>());
    }
    return out;
  }

  const ContainerdStore& store_;
  std::set<std::string> content_;
  std::set<std::string> walked_;
  std::vector<image::HostBlob> blobs_;
};

}  // namespace

BlobListing list_layer_blobs(const ContainerdStore& store) {
  BlobListing listing;
  auto content = list_content(store);
  if (!content.unavailable.empty()) {
    listing.unavailable = std::move(content.unavailable);
    return listing;
  }
  try {
    listing.content = content.digests;
    BlobWalker walker(store, std::move(content.digests));
    for (const auto& target : walker.image_targets()) walker.walk(target, 0);
    listing.blobs = walker.take();
  } catch (const Error& error) {
    listing.unavailable = error.what();
  }
  return listing;
}

}  // namespace dockerdiff::engine
