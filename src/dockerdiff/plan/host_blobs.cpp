#include "dockerdiff/plan/host_blobs.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "dockerdiff/image/media_types.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"
#include "dockerdiff/util/limits.hpp"

namespace dockerdiff::plan {

namespace {

using image::blob_path;
using nlohmann::json;
using Kind = PlannedEntry::Kind;

class BlobRenamer {
 public:
  BlobRenamer(std::vector<PlannedEntry>& entries, const std::vector<PlanInput>& inputs, const image::BaseSet& base)
      : entries_(entries), inputs_(inputs), base_(base) {
    for (std::size_t i = 0; i < entries_.size(); ++i) position_[entries_[i].path] = i;
  }

  std::vector<RenamedLayerBlob> run() {
    if (!position_.contains("index.json")) return {};  // the legacy layout names no blobs
    choose("index.json", 0);
    if (renamed_.empty()) return {};
    if (const auto content = rewritten_index("index.json", 0)) set_document("index.json", *content);
    rewrite_docker_manifest();
    move_empty_entries();
    std::vector<RenamedLayerBlob> out;
    for (const auto& [from, blob] : renamed_) out.push_back({blob.diff_id, from, blob.digest, blob.media_type, blob.size});
    return out;
  }

 private:
  std::optional<json> document(const std::string& path) const {
    const auto found = position_.find(path);
    if (found == position_.end()) return std::nullopt;
    const auto& entry = entries_[found->second];
    if (entry.kind == Kind::document) return parse_json(entry.data, path);
    if (entry.kind != Kind::copy) return std::nullopt;
    const auto& source = (*inputs_[entry.input].entries)[entry.entry];
    if (!source.content) return std::nullopt;
    return parse_json(*source.content, inputs_[entry.input].name + ": " + path);
  }

  bool emptied(const std::string& digest) const {
    const auto found = position_.find(blob_path(digest));
    return found != position_.end() && entries_[found->second].kind == Kind::empty;
  }

  static std::vector<std::string> diff_ids(const json& config) {
    std::vector<std::string> out;
    if (!config.is_object() || !config.contains("rootfs")) return out;
    for (const auto& id : config.at("rootfs").value("diff_ids", json::array())) {
      if (id.is_string()) out.push_back(id.get<std::string>());
    }
    return out;
  }

  // Which emptied layer blobs the host holds in another form only, and the form to name instead.
  void choose(const std::string& path, int depth) {
    if (depth > limits::kMaxIndexDepth) return;
    const auto index = document(path);
    if (!index || !index->contains("manifests") || !index->at("manifests").is_array()) return;
    for (const auto& descriptor : index->at("manifests")) {
      const auto type = descriptor.value("mediaType", std::string());
      const auto digest = descriptor.value("digest", std::string());
      if (image::media_type::is_index(type)) {
        choose(blob_path(digest), depth + 1);
        continue;
      }
      const auto manifest = document(blob_path(digest));
      if (!manifest || !manifest->contains("layers") || !manifest->contains("config")) continue;
      const auto config = document(blob_path(manifest->at("config").value("digest", std::string())));
      const auto ids = config ? diff_ids(*config) : std::vector<std::string>{};
      const auto& layers = manifest->at("layers");
      if (!layers.is_array() || ids.size() != layers.size()) continue;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto layer = layers[i].value("digest", std::string());
        if (!emptied(layer) || renamed_.contains(layer)) continue;
        auto held = base_.blobs_of(ids[i]);
        if (held.empty() || std::any_of(held.begin(), held.end(), [&](const image::HostBlob& b) { return b.digest == layer; })) continue;
        // The same choice on every run: the smallest digest.
        std::sort(held.begin(), held.end(), [](const auto& a, const auto& b) { return a.digest < b.digest; });
        renamed_.emplace(layer, held.front());
      }
    }
  }

  void set_document(const std::string& path, const std::string& content) {
    auto entry = document_entry(path, content);
    if (const auto found = position_.find(path); found != position_.end()) {
      entry.mode = entries_[found->second].mode;
      entry.mtime = entries_[found->second].mtime;
      entries_[found->second] = std::move(entry);
    } else {
      position_[path] = entries_.size();
      entries_.push_back(std::move(entry));
    }
  }

  // A manifest with the renamed layers, written as a new blob: its new descriptor, or nullopt when
  // it names none of them.
  std::optional<json> rewrite_manifest(const json& descriptor) {
    const auto digest = descriptor.value("digest", std::string());
    if (const auto known = rewritten_.find(digest); known != rewritten_.end()) return known->second;
    auto manifest = document(blob_path(digest));
    std::optional<json> result;
    if (manifest && manifest->contains("layers") && manifest->at("layers").is_array()) {
      bool changed = false;
      for (auto& layer : manifest->at("layers")) {
        const auto renamed = renamed_.find(layer.value("digest", std::string()));
        if (renamed == renamed_.end()) continue;
        layer["digest"] = renamed->second.digest;
        layer["mediaType"] = renamed->second.media_type;
        layer["size"] = renamed->second.size;
        changed = true;
      }
      if (changed) result = new_blob(descriptor, compact_json(*manifest));
    }
    rewritten_.emplace(digest, result);
    return result;
  }

  json new_blob(const json& descriptor, const std::string& content) {
    const auto digest = sha256_digest(content);
    set_document(blob_path(digest), content);
    auto updated = descriptor;
    updated["digest"] = digest;
    updated["size"] = content.size();
    return updated;
  }

  // The index at `path` with every descriptor that changed below it, or nullopt when none did. A
  // nested index becomes a new blob; its old blob stays as it was (its content is its digest).
  std::optional<std::string> rewritten_index(const std::string& path, int depth) {
    if (depth > limits::kMaxIndexDepth) return std::nullopt;
    auto index = document(path);
    if (!index || !index->contains("manifests") || !index->at("manifests").is_array()) return std::nullopt;
    bool changed = false;
    for (auto& descriptor : index->at("manifests")) {
      const auto type = descriptor.value("mediaType", std::string());
      std::optional<json> updated;
      if (image::media_type::is_index(type)) {
        if (const auto content = rewritten_index(blob_path(descriptor.value("digest", std::string())), depth + 1)) {
          updated = new_blob(descriptor, *content);
        }
      } else if (image::media_type::is_manifest(type)) {
        updated = rewrite_manifest(descriptor);
      }
      if (updated) {
        descriptor = *updated;
        changed = true;
      }
    }
    if (!changed) return std::nullopt;
    return compact_json(*index);
  }

  void rewrite_docker_manifest() {
    auto manifest = document("manifest.json");
    if (!manifest || !manifest->is_array()) return;
    for (auto& item : *manifest) {
      if (!item.is_object() || !item.contains("Layers") || !item.at("Layers").is_array()) continue;
      for (auto& layer : item.at("Layers")) {
        for (const auto& [from, blob] : renamed_) {
          if (layer == blob_path(from)) layer = blob_path(blob.digest);
        }
      }
    }
    set_document("manifest.json", compact_json(*manifest));
  }

  // The emptied entries move to the host blobs' paths.
  void move_empty_entries() {
    for (const auto& [from, blob] : renamed_) {
      auto& entry = entries_[position_.at(blob_path(from))];
      const auto to = blob_path(blob.digest);
      if (position_.contains(to)) continue;  // the output already has that blob
      position_.erase(entry.path);
      entry.path = to;
      position_[to] = static_cast<std::size_t>(&entry - entries_.data());
    }
  }

  std::vector<PlannedEntry>& entries_;
  const std::vector<PlanInput>& inputs_;
  const image::BaseSet& base_;
  std::map<std::string, std::size_t> position_;
  std::map<std::string, image::HostBlob> renamed_;  // by the digest the output named
  std::map<std::string, std::optional<json>> rewritten_;
};

}  // namespace

std::vector<RenamedLayerBlob> name_host_blobs(std::vector<PlannedEntry>& entries, const std::vector<PlanInput>& inputs,
                                              const image::BaseSet& base) {
  return BlobRenamer(entries, inputs, base).run();
}

}  // namespace dockerdiff::plan
