#include "dockerdiff/plan/write_order.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>

#include "dockerdiff/archive/tar_layout.hpp"

namespace dockerdiff::plan {

using archive::EntryType;
using Kind = PlannedEntry::Kind;

namespace {

archive::TarHeader header_of(const PlannedEntry& entry) {
  archive::TarHeader header{entry.path, EntryType::regular, entry.size, entry.mode, entry.mtime, entry.data};
  if (entry.kind == Kind::directory) header.type = EntryType::directory;
  if (entry.kind == Kind::symlink) header.type = EntryType::symlink;
  if (entry.kind == Kind::hardlink) header.type = EntryType::hardlink;
  if (entry.kind == Kind::empty) header.size = 0;
  return header;
}

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kBlock = archive::kTarBlock;
constexpr std::uint64_t kAlignFrom = std::uint64_t{1} << 20;  // smaller copies gain nothing
constexpr std::uint64_t kMovableCopy = std::uint64_t{64} << 10;  // configs, small metadata files
constexpr std::size_t kMaxCandidates = 64;

}  // namespace

std::vector<PlannedEntry> order_for_aligned_copies(std::vector<PlannedEntry> entries, const std::vector<PlanInput>& inputs) {
  const auto source_offset = [&](const PlannedEntry& entry) -> std::optional<std::uint64_t> {
    if (entry.kind != Kind::copy) return std::nullopt;
    return (*inputs[entry.input].entries)[entry.entry].data_offset;
  };
  const auto movable = [](const PlannedEntry& entry) {
    return entry.kind == Kind::document || entry.kind == Kind::empty || entry.kind == Kind::directory ||
           entry.kind == Kind::symlink || (entry.kind == Kind::copy && entry.size < kMovableCopy);
  };
  std::vector<std::uint64_t> blocks;  // each entry's size in 512-byte blocks
  for (const auto& entry : entries) blocks.push_back(archive::tar_entry_size(header_of(entry)) / kBlock);
  constexpr std::uint64_t kBlocksPerPage = kPage / kBlock;

  std::vector<PlannedEntry> out;
  std::vector<bool> done(entries.size(), false);
  std::vector<std::size_t> held;  // movable entries passed but not yet written, in order
  std::uint64_t position = 0;     // in blocks
  const auto emit = [&](std::size_t i) {
    done[i] = true;
    position += blocks[i];
    out.push_back(std::move(entries[i]));
  };

  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (done[i]) continue;
    if (movable(entries[i])) {
      held.push_back(i);
      continue;
    }
    std::set<std::size_t> deferred;
    std::vector<std::size_t> pulled;
    const auto offset = source_offset(entries[i]);
    if (offset && entries[i].size >= kAlignFrom) {
      std::uint64_t before = position;
      for (const auto j : held) before += blocks[j];
      const auto header_blocks = archive::tar_header_size(header_of(entries[i])) / kBlock;
      const auto need = (*offset % kPage / kBlock + kBlocksPerPage - (before + header_blocks) % kBlocksPerPage) % kBlocksPerPage;
      // Fewest moves whose blocks add up to `need` (mod 8): a held entry deferred takes its blocks
      // away, a later one pulled forward adds them.
      struct Move {
        std::size_t entry;
        bool defer;
      };
      std::vector<std::optional<std::vector<Move>>> reach(kBlocksPerPage);
      reach[0] = std::vector<Move>{};
      std::vector<Move> candidates;
      for (const auto j : held) candidates.push_back({j, true});
      for (std::size_t j = i + 1; j < entries.size() && candidates.size() < kMaxCandidates; ++j) {
        if (!done[j] && movable(entries[j])) candidates.push_back({j, false});
      }
      for (std::size_t c = 0; c < candidates.size() && need != 0; ++c) {
        const auto step = blocks[candidates[c].entry] % kBlocksPerPage;
        const auto shift = candidates[c].defer ? (kBlocksPerPage - step) % kBlocksPerPage : step;
        auto next = reach;
        for (std::size_t r = 0; r < reach.size(); ++r) {
          if (!reach[r]) continue;
          const auto to = (r + shift) % kBlocksPerPage;
          if (!next[to] || next[to]->size() > reach[r]->size() + 1) {
            next[to] = *reach[r];
            next[to]->push_back(candidates[c]);
          }
        }
        reach = std::move(next);
      }
      if (need != 0 && reach[need]) {
        for (const auto& move : *reach[need]) {
          if (move.defer) {
            deferred.insert(move.entry);
          } else {
            pulled.push_back(move.entry);
          }
        }
      }
    }
    std::vector<std::size_t> still_held;
    for (const auto j : held) {
      if (deferred.contains(j)) {
        still_held.push_back(j);
      } else {
        emit(j);
      }
    }
    held = std::move(still_held);
    std::sort(pulled.begin(), pulled.end());
    for (const auto j : pulled) emit(j);
    emit(i);
  }
  for (const auto j : held) emit(j);
  return out;
}

}  // namespace dockerdiff::plan
