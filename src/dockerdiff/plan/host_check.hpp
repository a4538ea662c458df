#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dockerdiff/archive/tar_entry.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/model.hpp"

// Whether a host can load a slim archive: pure, like the slim plan.
namespace dockerdiff::plan {

struct RequiredLayer {
  std::string chain_id;
  std::string diff_id;
  std::string provided_by;               // empty when the archive does not say
  std::vector<std::string> base_images;
};

struct ImageRequirement {
  std::vector<std::string> tags;
  std::string config_digest;
  std::vector<RequiredLayer> required;  // what the host must already have
};

// From the archive's dockerdiff.json (`record`, as written by slim).
std::vector<ImageRequirement> requirements_from_record(const nlohmann::json& record, const std::string& where);
// Without a record: every layer whose file is empty must come from the host.
std::vector<ImageRequirement> requirements_from_archive(const image::ImageArchive& archive,
                                                        const std::vector<archive::TarEntry>& entries);

struct ImageCheck {
  const ImageRequirement* image = nullptr;
  std::vector<const RequiredLayer*> missing;
};

std::vector<ImageCheck> check_host(const std::vector<ImageRequirement>& images, const image::BaseSet& host);

}  // namespace dockerdiff::plan
