#include "dockerdiff/commands/sources.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "dockerdiff/engine/engine.hpp"
#include "dockerdiff/archive/subtree_input.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/util/json.hpp"
#include "dockerdiff/util/limits.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::commands {

namespace fs = std::filesystem;

namespace {

using limits::kMaxInventoryBytes;

bool looks_like_json_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path, errno_text());
  char head[64];
  const auto n = ::read(fd, head, sizeof head);
  ::close(fd);
  if (n < 0) throw Error(path, errno_text());
  const std::string_view text(head, static_cast<std::size_t>(n));
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

nlohmann::json read_inventory(const std::string& path) {
  std::error_code error;
  const auto size = fs::file_size(path, error);
  if (error) throw Error(path, error.message());
  if (size > kMaxInventoryBytes) {
    throw Error(path, "larger than " + std::to_string(kMaxInventoryBytes >> 20) + " MiB, not an inventory");
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path, errno_text());
  const auto n = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) throw Error(path, "short read");
  return parse_json(text, path);
}

}  // namespace

Source::Source(std::string spec) : spec_(std::move(spec)), engine_(engine::parse_engine_ref(spec_)) {}

const engine::EngineRef* Source::engine_image() const {
  if (!engine_) return nullptr;
  if (engine_->reference.empty()) {
    throw usage_error(spec_, "no image reference after '" + std::string(engine::engine_program(engine_->kind)) + ":'");
  }
  return &*engine_;
}

std::optional<fs::path> Source::local_path() const {
  if (is_stdin() || engine_image() != nullptr) return std::nullopt;
  return fs::path(spec_);
}

std::vector<Source> parse_sources(const std::vector<std::string>& specs) {
  std::vector<Source> sources;
  for (const auto& spec : specs) sources.emplace_back(spec);
  return sources;
}

std::unique_ptr<archive::ArchiveInput> open_input(const Source& source, const archive::KeepData& keep) {
  const auto& spec = source.spec();
  // A descriptor of the input's own: the reader closes it when done.
  const auto duplicate = [&](int fd) {
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) throw Error(spec, errno_text());
    return copy;
  };
  if (source.is_stdin()) return archive::open_tar_archive(duplicate(0), "stdin", keep);
  if (const auto* ref = source.engine_image()) {
    std::unique_ptr<archive::ArchiveInput> input;
    engine::read_saved_image(*ref, [&](int fd) { input = archive::open_tar_archive(duplicate(fd), spec, keep); });
    return input;
  }
  std::error_code error;
  const auto status = fs::status(spec, error);
  if (error || !fs::exists(status)) throw Error(spec, "no such file or directory");
  if (fs::is_directory(status)) return archive::open_layout_directory(spec, spec);
  return archive::open_tar_archive(fs::path(spec), spec, keep);
}

std::optional<plan::DeltaRecord> open_delta(std::unique_ptr<archive::ArchiveInput>& input) {
  const image::EntryIndex index(input->entries(), input->name());
  const auto found = index.find(plan::kDeltaRecordPath);
  if (!found || !input->entries()[*found].content) return std::nullopt;
  const auto where = input->name() + ": " + plan::kDeltaRecordPath;
  const auto document = parse_json(*input->entries()[*found].content, where);
  if (!plan::is_delta_record(document)) return std::nullopt;
  auto record = plan::delta_record_from(document, where);
  input = std::make_unique<archive::SubtreeInput>(std::move(input), plan::kDeltaSlimDirectory);
  return record;
}

OpenedArchive open_archive(const Source& source, const archive::KeepData& keep) {
  OpenedArchive opened;
  opened.input = open_input(source, keep);
  opened.delta = open_delta(opened.input);
  const image::EntryIndex index(opened.input->entries(), opened.input->name());
  opened.images = image::read_image_archive(index);
  return opened;
}

std::optional<std::vector<plan::ImageRequirement>> read_slim_record(const OpenedArchive& opened, const std::string& spec) {
  const image::EntryIndex index(opened.input->entries(), opened.input->name());
  const auto record = index.find(plan::kSlimRecordPath);
  if (!record) return std::nullopt;
  const auto& entry = opened.input->entries()[*record];
  const auto where = spec + ": " + plan::kSlimRecordPath;
  if (!entry.content) throw Error(spec, std::string(plan::kSlimRecordPath) + " is not a JSON document");
  return plan::requirements_from_record(parse_json(*entry.content, where), where);
}

void add_base(image::BaseSet& bases, const Source& source) {
  const auto& spec = source.spec();
  if (const auto* ref = source.engine_image()) {
    bases.add_inventory(spec, engine::inspect_image(*ref));
    return;
  }
  if (is_inventory_file(source)) {
    add_inventory_file(bases, spec);
    return;
  }
  bases.add_archive(spec, open_archive(source).images);
}

bool is_inventory_file(const Source& source) {
  std::error_code error;
  return !source.is_stdin() && source.engine_image() == nullptr && fs::is_regular_file(source.spec(), error) &&
         looks_like_json_file(source.spec());
}

void add_inventory_file(image::BaseSet& bases, const std::string& path) { bases.add_inventory(path, read_inventory(path)); }

}  // namespace dockerdiff::commands
