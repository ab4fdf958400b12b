// The HTTP client behind HttpClient, on Boost.Beast: the only file that
// includes it. One connection per request, as `curl` would, bounded by the
// request's timeout from name resolution to the last byte. Beast's stream
// timeouts apply to asynchronous operations only (a blocking read on a peer
// that accepted and never answers would wait forever), so the exchange is a
// chain of asynchronous steps run on a private io_context for at most that
// long.
#include <raylaunch/ray/http.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/file_body.hpp>
#include <fmt/format.h>

#include <raylaunch/base/log.hpp>

namespace raylaunch {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One request's steps, each started by the one before; the first error ends it.
class Exchange {
 public:
  explicit Exchange(const HttpRequest& request) : m_request(request) {}

  HttpResponse run() {
    auto deadline = std::chrono::steady_clock::now() + m_request.timeout;
    m_stream.expires_at(deadline);
    m_resolver.async_resolve(m_request.host, std::to_string(m_request.port),
                             [this](beast::error_code error, tcp::resolver::results_type found) {
                               if (!failed(error, "resolve")) {
                                 connect(found);
                               }
                             });
    // The stream's timer covers connect, write and read; this bounds the
    // name look-up too, which has no timer of its own: cancel what is left,
    // and let the handlers end before the io_context goes.
    m_io.run_until(deadline + std::chrono::milliseconds(50));
    if (!m_done) {
      m_resolver.cancel();
      m_stream.close();
      m_io.restart();
      m_io.run();
      m_response = {0, "", fmt::format("no answer within {} ms", m_request.timeout.count())};
    }
    return m_response;
  }

 private:
  void connect(const tcp::resolver::results_type& found) {
    m_stream.async_connect(found, [this](beast::error_code error, const tcp::endpoint&) {
      if (!failed(error, "connect")) {
        write();
      }
    });
  }

  template <class Message>
  void start_message(Message& message) {
    message = {http::string_to_verb(m_request.method), m_request.target, 11};
    message.set(http::field::host, m_request.host + ":" + std::to_string(m_request.port));
    // Ray refuses POSTs from browsers (a User-Agent starting with Mozilla).
    message.set(http::field::user_agent, "raylaunch");
    for (const auto& [name, value] : m_request.headers) {
      message.set(name, value);
    }
  }

  void write() {
    if (!m_request.body_file.empty()) {
      // The body streams from the file as it is sent, a piece at a time.
      start_message(m_file_message);
      beast::error_code error;
      m_file_message.body().open(m_request.body_file.c_str(), beast::file_mode::scan, error);
      if (failed(error, "open the body")) {
        return;
      }
      m_file_message.prepare_payload();
      http::async_write(m_stream, m_file_message, [this](beast::error_code sent, size_t) {
        if (!failed(sent, "write")) {
          read();
        }
      });
      return;
    }
    start_message(m_message);
    if (!m_request.body.empty() || m_request.method == "POST" || m_request.method == "PUT") {
      m_message.body() = m_request.body;
      m_message.prepare_payload();
    }
    http::async_write(m_stream, m_message, [this](beast::error_code error, size_t) {
      if (!failed(error, "write")) {
        read();
      }
    });
  }

  void read() {
    m_parser.body_limit(64 * 1024 * 1024);
    http::async_read(m_stream, m_buffer, m_parser, [this](beast::error_code error, size_t) {
      if (!failed(error, "read")) {
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        m_response = {static_cast<int>(m_parser.get().result_int()), m_parser.get().body(), ""};
        m_done = true;
      }
    });
  }

  // Ends the exchange on `error`: a timeout says how long it waited.
  bool failed(const beast::error_code& error, const char* step) {
    if (!error) {
      return false;
    }
    std::string why = error == beast::error::timeout
                          ? fmt::format("no answer within {} ms", m_request.timeout.count())
                          : error.message();
    m_response = {0, "", fmt::format("{}: {}", step, why)};
    m_done = true;
    return true;
  }

  const HttpRequest& m_request;
  asio::io_context m_io;
  tcp::resolver m_resolver{m_io};
  beast::tcp_stream m_stream{m_io};
  http::request<http::string_body> m_message;
  http::request<http::file_body> m_file_message;
  beast::flat_buffer m_buffer;
  http::response_parser<http::string_body> m_parser;
  HttpResponse m_response;
  bool m_done = false;
};

class BeastClient final : public HttpClient {
 public:
  HttpResponse send(const HttpRequest& request) override {
    auto started = std::chrono::steady_clock::now();
    HttpResponse response;
    try {
      response = Exchange(request).run();
    } catch (const std::exception& e) {
      response = {0, "", e.what()};
    }
    if (debug_log_enabled()) {
      std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      log_debug(fmt::format("{} http://{}:{}{} ({}, {:.3f} s)", request.method, request.host,
                            request.port, request.target,
                            response.status == 0 ? response.error : std::to_string(response.status),
                            took.count()));
    }
    return response;
  }
};

}  // namespace

std::unique_ptr<HttpClient> make_http_client() { return std::make_unique<BeastClient>(); }

}  // namespace raylaunch
