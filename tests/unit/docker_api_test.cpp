// docker: images read from the daemon's own socket: where the CLI would connect, the request, and
// the answers a daemon gives (a stand-in daemon on a unix socket here; the real ones in
// tests/engine/docker_refs.sh).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "dockerdiff/engine/docker_api.hpp"
#include "dockerdiff/util/posix.hpp"

namespace dockerdiff::engine {
namespace {

namespace fs = std::filesystem;

DockerClientSettings settings(std::string host, std::string context, std::string config_context, bool tls) {
  DockerClientSettings s;
  s.host = std::move(host);
  s.context = std::move(context);
  s.config_context = std::move(config_context);
  s.tls = tls;
  return s;
}

TEST(DockerLocalSocket, FollowsDockerHostWhenItIsAUnixSocket) {
  EXPECT_EQ(docker_local_socket(settings("unix:///run/user/1000/docker.sock", "", "", false)), "/run/user/1000/docker.sock");
  EXPECT_EQ(docker_local_socket(settings("tcp://10.0.0.1:2375", "", "", false)), std::nullopt);
  EXPECT_EQ(docker_local_socket(settings("ssh://me@build", "", "", false)), std::nullopt);
  EXPECT_EQ(docker_local_socket(settings("unix://", "", "", false)), std::nullopt);
  EXPECT_EQ(docker_local_socket(settings("unix:///var/run/docker.sock", "", "", true)), std::nullopt);
}

TEST(DockerLocalSocket, TheDefaultSocketOnlyWithoutAContext) {
  EXPECT_EQ(docker_local_socket(settings("", "", "", false)), "/var/run/docker.sock");
  EXPECT_EQ(docker_local_socket(settings("", "default", "", false)), "/var/run/docker.sock");
  EXPECT_EQ(docker_local_socket(settings("", "", "default", false)), "/var/run/docker.sock");
  EXPECT_EQ(docker_local_socket(settings("", "remote", "", false)), std::nullopt);
  EXPECT_EQ(docker_local_socket(settings("", "", "remote", false)), std::nullopt);
  // $DOCKER_CONTEXT wins over the config file's, as in the CLI.
  EXPECT_EQ(docker_local_socket(settings("", "default", "remote", false)), "/var/run/docker.sock");
  EXPECT_EQ(docker_local_socket(settings("", "remote", "default", false)), std::nullopt);
}

TEST(SaveRequest, AsksForTheImageOverHttp10WithTheReferenceEncoded) {
  EXPECT_EQ(save_request("registry.example:5000/team/app:1.0"),
            "GET /images/get?names=registry.example%3A5000%2Fteam%2Fapp%3A1.0 HTTP/1.0\r\n"
            "Host: docker\r\nUser-Agent: dockerdiff\r\n\r\n");
  EXPECT_EQ(save_request("a b&c=d"), "GET /images/get?names=a%20b%26c%3Dd HTTP/1.0\r\nHost: docker\r\nUser-Agent: dockerdiff\r\n\r\n");
}

TEST(ParseHttpHead, ReadsTheStatusAndWhetherTheBodyIsChunked) {
  const auto ok = parse_http_head("HTTP/1.0 200 OK\r\nContent-Type: application/x-tar\r\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_FALSE(ok->chunked);
  const auto chunked = parse_http_head("HTTP/1.1 200 OK\r\ntransfer-encoding:  Chunked\r\n");
  ASSERT_TRUE(chunked);
  EXPECT_TRUE(chunked->chunked);
  const auto missing = parse_http_head("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(parse_http_head("HTTP/1.1 20x OK\r\n"), std::nullopt);
  EXPECT_EQ(parse_http_head("SSH-2.0-OpenSSH\r\n"), std::nullopt);
  EXPECT_EQ(parse_http_head(""), std::nullopt);
}

// A daemon that answers one connection with `answer` and records the request it got.
class StandInDaemon {
 public:
  explicit StandInDaemon(std::string answer) : answer_(std::move(answer)) {
    path_ = (fs::temp_directory_path() / ("dockerdiff-api-test-" + std::to_string(::getpid()) + ".sock")).string();
    fs::remove(path_);
    listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.data(), path_.size());
    EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listener_.get(), 1), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~StandInDaemon() {
    if (thread_.joinable()) thread_.join();
    fs::remove(path_);
  }
  StandInDaemon(const StandInDaemon&) = delete;
  StandInDaemon& operator=(const StandInDaemon&) = delete;

  const std::string& path() const { return path_; }
  // What the client sent, once the answer is given.
  std::string request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void serve() {
    const UniqueFd client(::accept(listener_.get(), nullptr, nullptr));
    if (client.get() < 0) return;
    char buffer[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      const auto n = ::read(client.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      request_.append(buffer, static_cast<std::size_t>(n));
    }
    std::string_view rest = answer_;
    while (!rest.empty()) {
      const auto n = ::send(client.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  std::string answer_;
  std::string path_;
  UniqueFd listener_;
  std::thread thread_;
  std::string request_;
};

std::string read_to_end(int fd) {
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

TEST(OpenSaveStream, TheBodyFollowsTheHeadUnread) {
  const std::string archive(300000, 'a');
  StandInDaemon daemon("HTTP/1.0 200 OK\r\nContent-Type: application/x-tar\r\n\r\n" + archive);
  auto stream = open_save_stream(daemon.path(), "app:1");
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->refusal, "");
  ASSERT_GE(stream->body.get(), 0);
  EXPECT_EQ(read_to_end(stream->body.get()), archive);
  EXPECT_EQ(daemon.request(), save_request("app:1"));
}

TEST(OpenSaveStream, ARefusalGivesTheDaemonsMessage) {
  StandInDaemon daemon("HTTP/1.0 404 Not Found\r\nContent-Type: application/json\r\n\r\n{\"message\":\"reference does not exist\"}\n");
  const auto stream = open_save_stream(daemon.path(), "gone:1");
  ASSERT_TRUE(stream);
  EXPECT_LT(stream->body.get(), 0);
  EXPECT_EQ(stream->refusal, "Error response from daemon: reference does not exist");
}

TEST(OpenSaveStream, ARefusalWithoutJsonGivesItsFirstLineOrItsStatus) {
  {
    StandInDaemon daemon("HTTP/1.0 500 Internal Server Error\r\n\r\n  store is locked \nmore\n");
    EXPECT_EQ(open_save_stream(daemon.path(), "x")->refusal, "Error response from daemon: store is locked");
  }
  StandInDaemon daemon("HTTP/1.0 503 Service Unavailable\r\n\r\n");
  EXPECT_EQ(open_save_stream(daemon.path(), "x")->refusal, "Error response from daemon: HTTP status 503");
}

// What this reader does not take goes to the CLI: a chunked body, no HTTP at all, a cut head.
TEST(OpenSaveStream, AnAnswerItDoesNotTakeLeavesItToTheCli) {
  for (const auto* answer : {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                             "SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.0 200 OK\r\nContent-Ty"}) {
    StandInDaemon daemon(answer);
    EXPECT_FALSE(open_save_stream(daemon.path(), "app:1").has_value()) << answer;
  }
}

TEST(OpenSaveStream, NoDaemonThereLeavesItToTheCli) {
  EXPECT_FALSE(open_save_stream((fs::temp_directory_path() / "dockerdiff-no-daemon.sock").string(), "app:1").has_value());
  EXPECT_FALSE(open_save_stream(std::string(200, 'x'), "app:1").has_value());  // longer than sun_path
}

}  // namespace
}  // namespace dockerdiff::engine
