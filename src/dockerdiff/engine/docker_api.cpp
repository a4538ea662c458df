#include "dockerdiff/engine/docker_api.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace dockerdiff::engine {

namespace {

constexpr std::size_t kMaxHeadBytes = std::size_t{64} << 10;
constexpr std::size_t kMaxRefusalBytes = std::size_t{64} << 10;
constexpr std::string_view kUnixScheme = "unix://";

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(start, end - start + 1));
}

// The context the config file names; "(unreadable)" for a file the CLI itself would stumble on,
// which sends the request through the CLI and so gives its message.
std::string config_context() {
  auto dir = env("DOCKER_CONFIG");
  if (dir.empty()) {
    const auto home = env("HOME");
    if (home.empty()) return {};
    dir = home + "/.docker";
  }
  std::ifstream file(dir + "/config.json");
  if (!file) return {};
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto config = nlohmann::json::parse(text, nullptr, false);
  if (config.is_discarded() || !config.is_object()) return "(unreadable)";
  const auto found = config.find("currentContext");
  return found != config.end() && found->is_string() ? found->get<std::string>() : std::string();
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The head of the answer, byte by byte: what follows it is the body, left unread on the socket.
std::optional<std::string> read_head(int fd) {
  std::string head;
  while (head.size() < kMaxHeadBytes) {
    char c = 0;
    const auto n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    head.push_back(c);
    if (head.ends_with("\r\n\r\n")) return head;
  }
  return std::nullopt;
}

std::string refusal_message(int fd, int status) {
  std::string body;
  char buffer[4096];
  while (body.size() < kMaxRefusalBytes) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    body.append(buffer, static_cast<std::size_t>(n));
  }
  std::string message;
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("message") && json["message"].is_string()) {
    message = json["message"].get<std::string>();
  } else {
    message = trim(body.substr(0, body.find('\n')));
  }
  if (message.empty()) message = "HTTP status " + std::to_string(status);
  // As the CLI words it, so that both ways read alike.
  return "Error response from daemon: " + message;
}

}  // namespace

DockerClientSettings docker_client_settings() {
  DockerClientSettings settings;
  settings.host = env("DOCKER_HOST");
  settings.context = env("DOCKER_CONTEXT");
  settings.tls = !env("DOCKER_TLS_VERIFY").empty() || !env("DOCKER_CERT_PATH").empty();
  if (settings.host.empty() && settings.context.empty()) settings.config_context = config_context();
  return settings;
}

std::optional<std::string> docker_local_socket(const DockerClientSettings& settings) {
  if (settings.tls) return std::nullopt;
  if (!settings.host.empty()) {
    if (!settings.host.starts_with(kUnixScheme) || settings.host.size() == kUnixScheme.size()) return std::nullopt;
    return settings.host.substr(kUnixScheme.size());
  }
  for (const auto* context : {&settings.context, &settings.config_context}) {
    if (!context->empty()) {
      if (*context == "default") break;
      return std::nullopt;
    }
  }
  return std::string("/var/run/docker.sock");
}

std::optional<HttpHead> parse_http_head(std::string_view text) {
  const auto line_end = text.find("\r\n");
  const auto status_line = text.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') return std::nullopt;
  HttpHead head;
  for (std::size_t i = 9; i < 12; ++i) {
    const char c = status_line[i];
    if (c < '0' || c > '9') return std::nullopt;
    head.status = head.status * 10 + (c - '0');
  }
  if (status_line.size() > 12 && status_line[12] != ' ') return std::nullopt;
  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : text.substr(line_end + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (lower(trim(line.substr(0, colon))) == "transfer-encoding") {
      head.chunked = lower(trim(line.substr(colon + 1))).find("chunked") != std::string::npos;
    }
  }
  return head;
}

std::string save_request(std::string_view reference) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : reference) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded.push_back(c);
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[byte >> 4]);
      encoded.push_back(kHex[byte & 0x0f]);
    }
  }
  return "GET /images/get?names=" + encoded + " HTTP/1.0\r\nHost: docker\r\nUser-Agent: dockerdiff\r\n\r\n";
}

std::optional<SaveStream> open_save_stream(const std::string& socket, std::string_view reference) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket.empty() || socket.size() >= sizeof address.sun_path) return std::nullopt;
  std::memcpy(address.sun_path, socket.data(), socket.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return std::nullopt;
  int connected = 0;
  do {
    connected = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
  } while (connected != 0 && errno == EINTR);
  if (connected != 0) return std::nullopt;
  if (!write_all(fd.get(), save_request(reference))) return std::nullopt;
  const auto text = read_head(fd.get());
  if (!text) return std::nullopt;
  const auto head = parse_http_head(*text);
  if (!head || head->chunked) return std::nullopt;
  SaveStream stream;
  if (head->status == 200) {
    stream.body = std::move(fd);
  } else {
    stream.refusal = refusal_message(fd.get(), head->status);
  }
  return stream;
}

}  // namespace dockerdiff::engine
