#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
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

// The engine image "docker:REF" or "podman:REF" names (its reference empty for "docker:"), or
// nullopt for any other text.
std::optional<EngineRef> parse_engine_ref(std::string_view spec);
std::string_view engine_program(EngineKind kind);

// `docker save REF`: from the daemon's unix socket where the docker CLI would connect to one
// (DOCKER_HOST unix://, or the default socket with no context), the socket then what `read` reads
// from; otherwise through the engine's own CLI (so tcp://, ssh://, TLS, contexts and CONTAINER_HOST
// apply as they do for the user), its stdout a pipe that `read` reads from. The engine's failure is an
// Error with its message, also where `read` failed first on the cut stream.
void read_saved_image(const EngineRef& ref, const std::function<void(int fd)>& read);

// `docker load` (`podman load`) of the archive `write_archive` writes into its stdin; the engine's
// output ("Loaded image: ...") and errors are this process's. `quiet` passes --quiet. Returns the
// engine's exit status (see run_feeding_stdin).
int load_archive(EngineKind kind, bool quiet, const std::function<void(int fd)>& write_archive);

// `docker image inspect REF`: a list with one object per image (RootFS.Layers, RepoTags, Id).
nlohmann::json inspect_image(const EngineRef& ref);

// Every image the engine holds, as `image inspect` prints them (an empty list for none).
nlohmann::json inspect_all_images(EngineKind kind);

// Where docker keeps its images when it uses the containerd image store (Docker 29's default):
// containerd's socket and the namespace of docker's images, as `docker info` reports them.
struct ContainerdStore {
  std::string address;
  std::string name_space;
};

// The containerd image store of the docker that DOCKER_HOST names; nullopt for the classic store.
std::optional<ContainerdStore> docker_containerd_store();

// The blobs in that store's content store (`ctr content ls`, ctr from PATH), or why they cannot be
// listed (no ctr, no access to the socket: it is root's).
struct ContentListing {
  std::set<std::string> digests;
  std::string unavailable;  // empty when `digests` is the store's content
};
ContentListing list_content(const ContainerdStore& store);

}  // namespace dockerdiff::engine
