#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/archive/tar_entry.hpp"

namespace dockerdiff::archive {

// Writes a tar stream into a ByteSink. Headers and the end-of-archive marker are encoded by
// libarchive (pax, with ustar headers wherever they suffice); entry data goes to the sink untouched,
// so a byte range can be copied straight from an input file. The room each entry takes:
// tar_layout.hpp.
class TarWriter {
 public:
  explicit TarWriter(ByteSink& sink) : sink_(sink) {}

  // Writes the header, lets `write_data` put exactly header.size bytes into the sink, then pads.
  void add(const TarHeader& header, const std::function<void(ByteSink&)>& write_data = {});
  void add_bytes(const TarHeader& header, const std::string& data);
  // Writes the end-of-archive marker and finishes the sink.
  void finish();

 private:
  ByteSink& sink_;
};

}  // namespace dockerdiff::archive
