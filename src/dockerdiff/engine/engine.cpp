#include "dockerdiff/engine/engine.hpp"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dockerdiff/engine/docker_api.hpp"
#include "dockerdiff/engine/subprocess.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"

namespace dockerdiff::engine {

namespace {

std::string first_line(const std::string& text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "no message";
  const auto end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

CommandResult run_engine(const EngineRef& ref, std::vector<std::string> args, const char* what) {
  args.insert(args.begin(), std::string(engine_program(ref.kind)));
  auto result = run_command(args);
  if (result.exit_code != 0) throw Error(ref.spec, std::string(what) + " failed: " + first_line(result.err));
  return result;
}

}  // namespace

std::optional<EngineRef> parse_engine_ref(std::string_view spec) {
  for (const auto kind : {EngineKind::docker, EngineKind::podman}) {
    const auto prefix = std::string(engine_program(kind)) + ":";
    if (spec.starts_with(prefix)) {
      return EngineRef{kind, std::string(spec.substr(prefix.size())), std::string(spec)};
    }
  }
  return std::nullopt;
}

std::string_view engine_program(EngineKind kind) { return kind == EngineKind::docker ? "docker" : "podman"; }

void read_saved_image(const EngineRef& ref, const std::function<void(int fd)>& read) {
  // docker: straight from the daemon's socket where the CLI would use it, one copy and one
  // process fewer than through `docker save`'s pipe; anything else through the CLI.
  if (ref.kind == EngineKind::docker) {
    if (const auto socket = docker_local_socket(docker_client_settings())) {
      if (auto stream = open_save_stream(*socket, ref.reference)) {
        if (!stream->refusal.empty()) throw Error(ref.spec, "save failed: " + stream->refusal);
        read(stream->body.get());
        return;
      }
    }
  }
  std::vector<std::string> args{std::string(engine_program(ref.kind)), "save"};
  if (ref.kind == EngineKind::podman) args.emplace_back("--format=docker-archive");
  args.push_back(ref.reference);
  const auto result = run_reading_stdout(args, read);
  if (result.exit_code != 0) throw Error(ref.spec, "save failed: " + first_line(result.err));
}

int load_archive(EngineKind kind, bool quiet, const std::function<void(int fd)>& write_archive) {
  std::vector<std::string> args{std::string(engine_program(kind)), "load"};
  if (quiet) args.emplace_back("--quiet");
  return run_feeding_stdin(args, write_archive);
}

nlohmann::json inspect_image(const EngineRef& ref) {
  const auto result = run_engine(ref, {"image", "inspect", ref.reference}, "image inspect");
  return parse_json(result.out, ref.spec + ": image inspect output");
}

nlohmann::json inspect_all_images(EngineKind kind) {
  const EngineRef engine{kind, {}, std::string(engine_program(kind))};
  const auto listed = run_engine(engine, {"images", "--quiet", "--no-trunc"}, "images");
  std::vector<std::string> args{"image", "inspect"};
  std::istringstream lines(listed.out);
  for (std::string id; std::getline(lines, id);) {
    if (!id.empty() && std::find(args.begin(), args.end(), id) == args.end()) args.push_back(id);
  }
  if (args.size() == 2) return nlohmann::json::array();
  const auto result = run_engine(engine, args, "image inspect");
  return parse_json(result.out, engine.spec + ": image inspect output");
}

std::optional<ContainerdStore> docker_containerd_store() {
  const EngineRef engine{EngineKind::docker, {}, "docker"};
  const auto result = run_engine(engine, {"info", "--format", "{{json .}}"}, "info");
  const auto info = parse_json(result.out, "docker info output");
  // The store's storage driver reports its containerd snapshotter as "driver-type".
  const auto status = info.value("DriverStatus", nlohmann::json::array());
  if (status.dump().find("io.containerd.snapshotter") == std::string::npos) return std::nullopt;
  // Docker 27+ reports its containerd socket; before that, CONTAINERD_ADDRESS (which ctr reads too)
  // says where it is when it is not the system containerd's.
  const char* address = std::getenv("CONTAINERD_ADDRESS");
  ContainerdStore store{address != nullptr && *address != '\0' ? address : "/run/containerd/containerd.sock", "moby"};
  if (const auto containerd = info.find("Containerd"); containerd != info.end() && containerd->is_object()) {
    store.address = containerd->value("Address", store.address);
    if (const auto names = containerd->find("Namespaces"); names != containerd->end() && names->is_object()) {
      store.name_space = names->value("Containers", store.name_space);
    }
  }
  return store;
}

ContentListing list_content(const ContainerdStore& store) {
  ContentListing listing;
  CommandResult result;
  try {
    result = run_command({"ctr", "--address", store.address, "--namespace", store.name_space, "content", "ls", "--quiet"});
  } catch (const Error& error) {
    listing.unavailable = std::string("ctr cannot be run: ") + error.what();
    return listing;
  }
  if (result.exit_code != 0) {
    listing.unavailable = "ctr content ls on " + store.address + " failed: " + first_line(result.err) +
                          "; a docker older than 27 does not tell its containerd socket: set CONTAINERD_ADDRESS";
    return listing;
  }
  std::istringstream lines(result.out);
  for (std::string digest; std::getline(lines, digest);) {
    if (!digest.empty()) listing.digests.insert(digest);
  }
  return listing;
}

}  // namespace dockerdiff::engine
