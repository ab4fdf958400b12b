// The HTTP client behind HttpClient, on Boost.Beast: the only file that
// includes it. One connection per request, as `curl` would, bounded by the
// request's timeout from connect to the last byte.
#include <raylaunch/ray/http.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <raylaunch/base/log.hpp>

namespace raylaunch {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

class BeastClient final : public HttpClient {
 public:
  HttpResponse send(const HttpRequest& request) override {
    auto started = std::chrono::steady_clock::now();
    HttpResponse response;
    try {
      response = exchange(request);
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

 private:
  static HttpResponse exchange(const HttpRequest& request) {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(request.timeout);
    auto addresses = resolver.resolve(request.host, std::to_string(request.port));
    stream.connect(addresses);

    http::request<http::string_body> message{
        http::string_to_verb(request.method), request.target, 11};
    message.set(http::field::host, request.host + ":" + std::to_string(request.port));
    // Ray refuses POSTs from browsers (a User-Agent starting with Mozilla).
    message.set(http::field::user_agent, "raylaunch");
    for (const auto& [name, value] : request.headers) {
      message.set(name, value);
    }
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      message.body() = request.body;
      message.prepare_payload();
    }
    http::write(stream, message);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buffer, parser);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return {static_cast<int>(parser.get().result_int()), parser.get().body(), ""};
  }
};

}  // namespace

std::unique_ptr<HttpClient> make_http_client() { return std::make_unique<BeastClient>(); }

}  // namespace raylaunch
