// libFuzzer target: see harness.hpp (Target::inventory).
#include <cstddef>
#include <cstdint>

#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dockerdiff::fuzz::run(dockerdiff::fuzz::Target::inventory, {reinterpret_cast<const char*>(data), size});
  return 0;
}
