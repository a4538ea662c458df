#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dockerdiff/image/verify.hpp"
#include "dockerdiff/plan/host_check.hpp"
#include "dockerdiff/plan/restore_plan.hpp"

// What verify, check and restore found, formatted for people and for programs.
namespace dockerdiff::report {

// verify: one printable line per problem ("<archive>: <path>: <problem>"), for stdout.
std::string verify_problem_lines(const std::string& archive, const image::VerifyResult& result);
// verify: "<archive>: sound (N layers, M blobs checked)" or "<archive>: N problems", for stderr.
std::string verify_summary(const std::string& archive, const image::VerifyResult& result);
// verify --json.
nlohmann::json verify_json(const std::string& archive, const image::VerifyResult& result);

// What check found on a host.
struct CheckOutcome {
  std::vector<plan::ImageCheck> missing;                 // images that would not load
  std::vector<plan::StoreCheck> incomplete;              // images that load, incomplete in containerd's store
  std::vector<const plan::ImageRequirement*> complete;   // images that load whole
  bool content_store_checked = false;                    // `complete` was checked against the content store too
  std::string content_store_unlistable;                  // why the content store could not be listed
};

// The lines check prints on stdout: each image missing layers, each incomplete one, each that loads.
std::string check_text(const CheckOutcome& outcome);
// A warning for stderr when the content store could not be listed; empty otherwise.
std::string check_warning(const CheckOutcome& outcome);

// Why `load` loads nothing: the first missing layer (chain ID, diff_id, the base that provided it)
// and how many are missing in all.
std::string load_refusal(const std::vector<plan::ImageCheck>& missing);
// What `load` did besides the engine's load, for stderr: the layers that came from the host, those
// refilled from its images, and whether manifests were made to name the host's blobs.
struct LoadSummary {
  std::size_t from_host = 0;                 // dropped layers the archive leaves to the host
  std::size_t refilled = 0;                  // of those, written from the host's own images
  std::vector<std::string> providers;        // the images they came from
  std::size_t renamed = 0;                   // descriptors renamed to the host's blob
};
std::string load_summary(const std::string& archive, const LoadSummary& summary);

// "dockerdiff restore: <output>: N layers refilled, <layout> layout", for stderr.
std::string restore_summary(const std::string& output, const plan::RestorePlan& restore);

}  // namespace dockerdiff::report
