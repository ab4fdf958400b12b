// The real HTTP client against sockets that misbehave the way a frozen Ray
// head does: every request ends within its timeout.
#include <gtest/gtest.h>

#include <raylaunch/ray/http.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace raylaunch {
namespace {

using Clock = std::chrono::steady_clock;

// A port of the test's own on 127.0.0.1, picked by the kernel and held while
// the test runs, so no other program's port is ever reached. Listening, the
// kernel completes each connection (as for a paused container behind
// Docker's proxy) and nobody reads or writes; bound only, every connection is
// refused.
class OwnPort {
 public:
  explicit OwnPort(bool listen) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    if (listen) {
      EXPECT_EQ(::listen(m_fd, 8), 0);
    }
    socklen_t length = sizeof(address);
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length);
    m_port = ntohs(address.sin_port);
  }
  ~OwnPort() { ::close(m_fd); }
  OwnPort(const OwnPort&) = delete;
  OwnPort& operator=(const OwnPort&) = delete;
  int port() const { return m_port; }

 private:
  int m_fd = -1;
  int m_port = 0;
};

TEST(HttpClient, APeerThatAcceptsAndNeverAnswersTimesOut) {
  OwnPort silent(true);
  std::unique_ptr<HttpClient> client = make_http_client();
  HttpRequest request{"GET", "127.0.0.1", silent.port(), "/api/v0/nodes", {}, "",
                      std::chrono::milliseconds(300)};
  Clock::time_point started = Clock::now();
  HttpResponse response = client->send(request);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.error, "read: no answer within 300 ms");
  EXPECT_GE(took.count(), 290);
  EXPECT_LT(took.count(), 1000);
}

TEST(HttpClient, ARefusedConnectionSaysSoAtOnce) {
  OwnPort closed(false);
  std::unique_ptr<HttpClient> client = make_http_client();
  HttpResponse response = client->send(
      {"GET", "127.0.0.1", closed.port(), "/", {}, "", std::chrono::milliseconds(2000)});
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.error, "connect: Connection refused");
}

}  // namespace
}  // namespace raylaunch
