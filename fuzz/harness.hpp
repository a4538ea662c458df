#pragma once

// What the fuzz targets run, shared with the seed generator and with the unit suite's replay of
// fuzz regressions (tests/unit/fuzz_regression_test.cpp), so a committed input runs exactly the
// code the fuzzer ran.
//
// Each target feeds its bytes to the library's real entry points and lets dockerdiff::Error (the
// tool's one error type: a refused input) pass silently. Anything else escapes: a crash, a
// sanitizer report, another exception type, or an InvariantViolation (a property that must hold
// for every input the tool accepts, such as "slim's output reads back").

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dockerdiff::fuzz {

enum class Target {
  archive,        // the bytes as a whole archive: catalog, model, verify, inspect, slim, restore
  entries,        // a list of entries (see decode_entries) written as a tar, then as `archive`
  manifest_json,  // manifest.json of a legacy and of a Docker 25+ archive
  index_json,     // index.json of a pure OCI archive (nested index) and of a Docker 25+ archive
  image_config,   // an image config of a legacy archive
  inventory,      // an inventory file (-b FILE), `image inspect` output, a slim record (dockerdiff.json)
};

inline constexpr Target kTargets[] = {Target::archive,      Target::entries,   Target::manifest_json,
                                      Target::index_json,   Target::image_config, Target::inventory};

std::string_view target_name(Target target);  // "archive", "manifest_json", ...
std::optional<Target> target_named(std::string_view name);

// A property that must hold for every accepted input was broken.
class InvariantViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// The input format of Target::entries, so that mutations change entries rather than break the tar:
// a compression letter (n none, g gzip, z zstd, x xz, b bzip2; anything else: none), then per entry
// a type letter (f file, d directory, l symlink, h hard link, o fifo; anything else: file), its
// path and its content (link target for links), each a string ended by a backslash and one more
// byte (a backslash in a string is written twice), as libFuzzer's FuzzedDataProvider reads strings.
std::string encode_entry_string(std::string_view text);

// One fuzz input. Returns normally for an accepted or a refused (dockerdiff::Error) input.
void run(Target target, std::string_view data);

// The seed corpus of a target (name -> bytes), built with the fixture writer: every layout and
// compression for archives, the documents of the archives the JSON targets edit.
std::vector<std::pair<std::string, std::string>> seeds(Target target);

// Tokens for the target's libFuzzer dictionary beyond the committed fuzz/dict files: the digests
// and paths of the archives the JSON targets edit.
std::vector<std::string> dictionary_tokens(Target target);

}  // namespace dockerdiff::fuzz
