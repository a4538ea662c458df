// libFuzzer target: see harness.hpp (Target::entries).
#include <cstddef>
#include <cstdint>

#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dockerdiff::fuzz::run(dockerdiff::fuzz::Target::entries, {reinterpret_cast<const char*>(data), size});
  return 0;
}
