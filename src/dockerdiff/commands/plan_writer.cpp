#include "dockerdiff/commands/plan_writer.hpp"

#include "dockerdiff/archive/decompressing_sink.hpp"
#include "dockerdiff/archive/tar_writer.hpp"

namespace dockerdiff::commands {

void write_plan(const plan::SlimPlan& plan, const std::vector<archive::ArchiveInput*>& inputs, archive::ByteSink& sink) {
  using Kind = plan::PlannedEntry::Kind;
  using archive::EntryType;
  archive::TarWriter writer(sink);
  for (const auto& entry : plan.entries) {
    archive::TarHeader header{entry.path, EntryType::regular, 0, entry.mode, entry.mtime, {}};
    switch (entry.kind) {
      case Kind::directory:
        header.type = EntryType::directory;
        writer.add(header);
        break;
      case Kind::copy:
        header.size = entry.size;
        writer.add(header, [&](archive::ByteSink& data) { inputs.at(entry.input)->copy_entry(entry.entry, data); });
        break;
      case Kind::decompressed_copy:
        header.size = entry.size;
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
      case Kind::empty:
        writer.add(header);
        break;
      case Kind::symlink:
      case Kind::hardlink:
        header.type = entry.kind == Kind::symlink ? EntryType::symlink : EntryType::hardlink;
        header.link_target = entry.data;
        writer.add(header);
        break;
    }
  }
  writer.finish();
}

}  // namespace dockerdiff::commands
