#include "dockerdiff/commands/plan_writer.hpp"

#include <algorithm>

#include "dockerdiff/archive/decompressing_sink.hpp"
#include "dockerdiff/archive/tar_layout.hpp"
#include "dockerdiff/archive/tar_writer.hpp"
#include "dockerdiff/util/progress.hpp"

namespace dockerdiff::commands {

namespace {

using Kind = plan::PlannedEntry::Kind;
using archive::EntryType;

// Counts what reaches the output for progress. Ranges go on as ranges (the kernel still copies
// them) in steps, so that a large layer shows its progress as it is copied.
class ProgressSink final : public archive::ByteSink {
 public:
  explicit ProgressSink(archive::ByteSink& inner) : inner_(inner) {}
  void write(const void* data, std::size_t size) override {
    inner_.write(data, size);
    progress::advance(size);
  }
  void copy_range(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what) override {
    // A multiple of the file sink's 64 KiB alignment step.
    constexpr std::uint64_t kStep = std::uint64_t{64} << 20;
    for (std::uint64_t copied = 0; copied < length;) {
      const auto step = std::min(kStep, length - copied);
      inner_.copy_range(fd, offset + copied, step, what);
      progress::advance(step);
      copied += step;
    }
  }
  void finish() override { inner_.finish(); }
  std::uint64_t bytes_written() const override { return inner_.bytes_written(); }

 private:
  archive::ByteSink& inner_;
};

archive::TarHeader header_of(const plan::PlannedEntry& entry) {
  archive::TarHeader header{entry.path, EntryType::regular, 0, entry.mode, entry.mtime, {}};
  switch (entry.kind) {
    case Kind::directory: header.type = EntryType::directory; break;
    case Kind::copy:
    case Kind::decompressed_copy: header.size = entry.size; break;
    case Kind::document: header.size = entry.data.size(); break;
    case Kind::empty: break;
    case Kind::symlink:
    case Kind::hardlink:
      header.type = entry.kind == Kind::symlink ? EntryType::symlink : EntryType::hardlink;
      header.link_target = entry.data;
      break;
  }
  return header;
}

// The bytes of the tar stream (before any compression).
std::uint64_t planned_bytes(const plan::SlimPlan& plan) {
  std::uint64_t total = archive::kTarEndBytes;
  for (const auto& entry : plan.entries) total += archive::tar_entry_size(header_of(entry));
  return total;
}

}  // namespace

void write_plan(const plan::SlimPlan& plan, const std::vector<archive::ArchiveInput*>& inputs, archive::ByteSink& sink,
                const std::string& phase_name) {
  const progress::Phase phase(phase_name, planned_bytes(plan));
  ProgressSink counted(sink);
  archive::TarWriter writer(counted);
  for (const auto& entry : plan.entries) {
    const auto header = header_of(entry);
    switch (entry.kind) {
      case Kind::copy:
        writer.add(header, [&](archive::ByteSink& data) { inputs.at(entry.input)->copy_entry(entry.entry, data); });
        break;
      case Kind::decompressed_copy:
        writer.add(header, [&](archive::ByteSink& data) {
          auto& input = *inputs.at(entry.input);
          const auto& source = input.entries().at(entry.entry);
          archive::DecompressingSink decompressed(&data, archive::detect_compression(source.magic), source.size, entry.size,
                                                  input.name() + ": " + source.path);
          input.copy_entry(entry.entry, decompressed);
          decompressed.finish();
          decompressed.expect(entry.size, entry.expected_digest);
        });
        break;
      case Kind::document:
        writer.add_bytes(header, entry.data);
        break;
      case Kind::directory:
      case Kind::empty:
      case Kind::symlink:
      case Kind::hardlink:
        writer.add(header);
        break;
    }
  }
  writer.finish();
}

}  // namespace dockerdiff::commands
