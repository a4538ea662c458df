#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dockerdiff/archive/tar_entry.hpp"
#include "dockerdiff/image/model.hpp"
#include "dockerdiff/plan/delta_record.hpp"

namespace dockerdiff::report {

struct InspectSubject {
  std::string name;
  std::string kind;         // "tar" or "directory"
  std::string compression;  // of the whole archive
  std::uint64_t stored_bytes = 0;
  const std::vector<archive::TarEntry>* entries = nullptr;
  const image::ImageArchive* images = nullptr;
  const plan::DeltaRecord* delta = nullptr;  // a delta archive's record (images: its slim archive's)
};

nlohmann::json inspect_json(const InspectSubject& subject);
std::string inspect_text(const InspectSubject& subject);

}  // namespace dockerdiff::report
