#pragma once

// The example archives bundled in examples/: a base image and an app built on it, as a legacy
// `docker save` writes them, gzip-compressed. Made by the fixture writer, so the test suite can
// check that the bundled files are exactly what this code makes.

#include <string>

namespace dockerdiff::testing {

std::string example_base_archive();  // examples/base.tar.gz: base:1.0 (two layers)
std::string example_app_archive();   // examples/app.tar.gz: app:1.0 = base:1.0 + two app layers

}  // namespace dockerdiff::testing
