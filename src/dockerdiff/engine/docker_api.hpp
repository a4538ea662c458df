#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::engine {

// What decides where the docker CLI connects: $DOCKER_HOST, $DOCKER_CONTEXT, and the
// "currentContext" of its config file ($DOCKER_CONFIG/config.json, else ~/.docker/config.json).
struct DockerClientSettings {
  std::string host;
  std::string context;
  std::string config_context;
  bool tls = false;  // DOCKER_TLS_VERIFY or DOCKER_CERT_PATH set
};
DockerClientSettings docker_client_settings();

// The unix socket the CLI would talk to, when nothing but a socket path decides it: DOCKER_HOST
// unix://PATH, or neither a host nor a context other than "default" (then /var/run/docker.sock).
// nullopt for tcp://, ssh://, TLS and contexts: those stay with the CLI, which knows them.
std::optional<std::string> docker_local_socket(const DockerClientSettings& settings);

// The status line and the headers of an HTTP response, as read from a socket.
struct HttpHead {
  int status = 0;
  bool chunked = false;  // Transfer-Encoding: chunked
};
// Parses "HTTP/1.x NNN ...\r\n" and its header lines (the text up to, not including, the empty line).
// nullopt when it is no HTTP response head.
std::optional<HttpHead> parse_http_head(std::string_view text);

// The request that asks the daemon for `docker save REF` (GET /images/get), as HTTP/1.0: the body
// then comes raw, not chunked, and ends when the daemon closes the connection.
std::string save_request(std::string_view reference);

// The outcome of asking a daemon's socket for a saved image.
struct SaveStream {
  UniqueFd body;        // open: the archive's bytes follow, to the end of the connection
  std::string refusal;  // otherwise, when the daemon refused: its message
};

// Connects to `socket`, sends `save_request(reference)` and reads the answer's head. nullopt when
// the socket cannot be used (no daemon there, no permission, an answer this reader does not
// take): the caller then runs the CLI, whose message the user knows.
std::optional<SaveStream> open_save_stream(const std::string& socket, std::string_view reference);

}  // namespace dockerdiff::engine
