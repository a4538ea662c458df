#include "support/examples.hpp"

#include "support/fixture.hpp"

namespace dockerdiff::testing {

namespace {

// A base layer large enough that slimming shows: text that compresses, as an OS's files do.
std::string base_rootfs_layer() {
  Files files;
  for (int package = 0; package < 48; ++package) {
    std::string text;
    for (int line = 0; line < 800; ++line) {
      text += "package-" + std::to_string(package) + " file line " + std::to_string(line) +
              ": the host already has this byte\n";
    }
    files.emplace_back("usr/share/doc/package-" + std::to_string(package) + "/README", text);
  }
  return make_layer_tar(files);
}

std::string base_config_layer() {
  return make_layer_tar({{"etc/os-release", "NAME=\"Example Base\"\nVERSION_ID=\"1.0\"\n"},
                         {"etc/hostname", "example\n"}});
}

FixtureImage base_image() { return {{"example.com/base:1.0"}, {base_rootfs_layer(), base_config_layer()}}; }

FixtureImage app_image() {
  auto image = base_image();
  image.tags = {"example.com/app:1.0"};
  image.layers.push_back(make_layer_tar({{"opt/app/config.json", "{\"greeting\": \"hello from the app layer\"}\n"}}));
  image.layers.push_back(make_layer_tar({{"opt/app/run.sh", "#!/bin/sh\necho \"$(cat /opt/app/config.json)\"\n"}}));
  return image;
}

FixtureOptions gzip_legacy() {
  FixtureOptions options;
  options.layout = FixtureLayout::legacy;
  options.archive_compression = archive::Compression::gzip;
  return options;
}

}  // namespace

std::string example_base_archive() { return write_fixture({base_image()}, gzip_legacy()); }
std::string example_app_archive() { return write_fixture({app_image()}, gzip_legacy()); }

}  // namespace dockerdiff::testing
