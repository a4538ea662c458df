#include "dockerdiff/image/verify.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/image/entry_hashing.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/media_types.hpp"
#include "dockerdiff/image/walk.hpp"
#include "dockerdiff/util/digest.hpp"

namespace dockerdiff::image {

namespace {

struct Check {
  std::string digest;
  std::string what;  // "diff_id" or "digest"
};

// All that is checked of one entry's data; each entry is read once.
struct Job {
  std::vector<Check> raw;    // against the bytes as stored
  std::vector<Check> plain;  // against the decompressed bytes
  bool layer = false;
  bool blob = false;
};

void add_check(std::vector<Check>& checks, const std::string& digest, const std::string& what) {
  for (const auto& check : checks) {
    if (check.digest == digest) return;
  }
  checks.push_back({digest, what});
}

class Verifier {
 public:
  Verifier(archive::ArchiveInput& input, const VerifySettings& settings)
      : input_(input),
        settings_(settings),
        index_(input.entries(), input.name()),
        diagnostics_(input.name(), Diagnostics::Policy::collect_all) {}

  VerifyResult run() {
    plan_layer_checks(walk_image_documents(index_, diagnostics_));
    scan_blobs();
    hash();
    check_bases();
    result_.problems = diagnostics_.problems();
    return std::move(result_);
  }

 private:
  // Each layer the walk established is rehashed against its diff_id (decompressed when it is a
  // compressed blob) and its blob digest; an emptied layer only has to be provided by a base.
  void plan_layer_checks(const ImageArchive& archive) {
    for (const auto& image : archive.images) {
      for (const auto& layer : image.layers) {
        const auto& entry = index_.entries()[layer.entry];
        if (entry.size == 0) {
          emptied_.emplace_back(layer.path, layer.chain_id);
          emptied_entries_.insert(layer.entry);
          continue;
        }
        auto& job = jobs_[layer.entry];
        job.layer = true;
        const bool compressed = archive::detect_compression(entry.magic) != archive::Compression::none;
        add_check(compressed ? job.plain : job.raw, layer.diff_id, "diff_id");
        if (!layer.blob_digest.empty()) add_check(job.raw, layer.blob_digest, "digest");
      }
    }
  }

  // Every blobs/sha256/<hex> entry is named by the digest of its content.
  void scan_blobs() {
    const auto& entries = index_.entries();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& entry = entries[i];
      if (!entry.path.starts_with(kBlobPrefix) || entry.type != archive::EntryType::regular) continue;
      const auto name = entry.path.substr(kBlobPrefix.size());
      const auto digest = "sha256:" + name;
      if (!is_sha256_digest(digest)) {
        diagnostics_.report(entry.path, "not named by a sha256 digest");
        continue;
      }
      if (emptied_entries_.count(i) != 0) continue;  // an emptied layer
      if (entry.content) {
        ++result_.blobs_checked;
        const auto actual = sha256_digest(*entry.content);
        if (actual != digest) diagnostics_.report(entry.path, "content does not match its digest " + digest + " (sha256 is " + actual + ")");
        continue;
      }
      auto& job = jobs_[i];
      job.blob = true;
      add_check(job.raw, digest, "digest");
    }
  }

  // ---- data -----------------------------------------------------------------------------------

  void hash() {
    std::vector<HashRequest> requests;
    for (const auto& [entry, job] : jobs_) requests.push_back({entry, !job.raw.empty(), !job.plain.empty()});
    const auto outcomes = hash_entries(input_, requests, settings_.threads != 0 ? settings_.threads : verify_threads());
    std::size_t next = 0;
    for (auto& [entry_index, job] : jobs_) {
      const auto& outcome = outcomes[next++];
      const auto& path = index_.entries()[entry_index].path;
      if (outcome.error) diagnostics_.report(path, *outcome.error);
      if (outcome.error && !outcome.raw_digest) continue;
      if (job.layer) ++result_.layers_checked;
      if (job.blob || path.starts_with(kBlobPrefix)) ++result_.blobs_checked;
      for (const auto& check : job.raw) {
        if (outcome.raw_digest && *outcome.raw_digest != check.digest) {
          diagnostics_.report(path, "content does not match its " + check.what + " " + check.digest + " (sha256 is " + *outcome.raw_digest + ")");
        }
      }
      for (const auto& check : job.plain) {
        if (!outcome.error && outcome.plain_digest && *outcome.plain_digest != check.digest) {
          diagnostics_.report(path, "decompressed content does not match its " + check.what + " " + check.digest + " (sha256 is " +
                            *outcome.plain_digest + ")");
        }
      }
    }
  }

  void check_bases() {
    if (settings_.bases == nullptr) return;
    for (const auto& [path, chain_id] : emptied_) {
      if (settings_.bases->find(chain_id) == nullptr) {
        diagnostics_.report(path, "emptied layer (chain ID " + chain_id + ") is not provided by any base");
      }
    }
  }

  archive::ArchiveInput& input_;
  const VerifySettings& settings_;
  EntryIndex index_;
  Diagnostics diagnostics_;
  VerifyResult result_;
  std::map<std::size_t, Job> jobs_;
  std::vector<std::pair<std::string, std::string>> emptied_;  // path, chain ID
  std::set<std::size_t> emptied_entries_;
};

}  // namespace

unsigned verify_threads() {
  if (const char* text = std::getenv("DOCKERDIFF_VERIFY_THREADS"); text != nullptr && *text != '\0') {
    char* end = nullptr;
    const auto value = std::strtoul(text, &end, 10);
    if (end != nullptr && *end == '\0' && value > 0 && value <= 1024) return static_cast<unsigned>(value);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

VerifyResult verify_archive(archive::ArchiveInput& input, const VerifySettings& settings) {
  return Verifier(input, settings).run();
}

}  // namespace dockerdiff::image
