#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace dockerdiff::engine {

enum class EngineKind { docker, podman };

// "docker:REF" or "podman:REF" as given on the command line.
struct EngineRef {
  EngineKind kind = EngineKind::docker;
  std::string reference;
  std::string spec;  // the whole text, for messages
};

std::optional<EngineRef> parse_engine_ref(std::string_view spec);
std::string_view engine_program(EngineKind kind);

// `docker save -o FILE REF` through the engine's own CLI, so DOCKER_HOST, contexts and
// CONTAINER_HOST apply as they do for the user.
void save_image(const EngineRef& ref, const std::filesystem::path& destination);

// `docker image inspect REF`: a list with one object per image (RootFS.Layers, RepoTags, Id).
nlohmann::json inspect_image(const EngineRef& ref);

// Every image the engine holds, as `image inspect` prints them (an empty list for none).
nlohmann::json inspect_all_images(EngineKind kind);

// True when docker keeps images in containerd (the containerd image store), where an image loaded
// without the content of its dropped layers cannot be saved or pushed again.
bool uses_containerd_image_store();

}  // namespace dockerdiff::engine
