#include "service/auth/jwks_fetch.hpp"

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "service/ops/log.hpp"

namespace nmo::service::auth {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

struct Url {
  bool tls = true;
  std::string host, port, target;
};

std::optional<Url> parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    u.tls = false;
    rest = url.substr(7);
  } else {
    return std::nullopt;
  }
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  u.port = u.tls ? "443" : "80";
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') u.port = authority.substr(close + 2);
  } else {
    const auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = authority.substr(colon + 1);
  }
  if (u.host.empty() || u.port.empty()) return std::nullopt;
  return u;
}

template <class Stream>
std::optional<std::string> get(Stream& stream, const Url& url, std::size_t max_bytes) {
  http::request<http::empty_body> req{http::verb::get, url.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::accept, "application/json");
  req.set(http::field::user_agent, "nmo-cds");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_bytes);
  http::read(stream, buffer, parser);
  if (parser.get().result() != http::status::ok) return std::nullopt;
  return std::move(parser.get().body());
}

std::optional<std::string> fetch_blocking(const std::string& text, std::size_t max_bytes) {
  const auto url = parse_url(text);
  if (!url) return std::nullopt;
  net::io_context io;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(url->host, url->port);
  if (!url->tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(endpoints);
    return get(stream, *url, max_bytes);
  }
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str())) return std::nullopt;
  stream.set_verify_callback(ssl::host_name_verification(url->host));
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(stream).connect(endpoints);
  stream.handshake(ssl::stream_base::client);
  return get(stream, *url, max_bytes);
}

}  // namespace

Fetcher make_jwks_fetcher() {
  return [](const std::string& url, std::size_t max_bytes, FetchDone done) {
    std::thread([url, max_bytes, done = std::move(done)] {
      std::optional<std::string> body;
      try {
        body = fetch_blocking(url, max_bytes);
      } catch (const std::exception& e) {
        ops::log::write(ops::log::Level::warn, "jwks_fetch_error", {{"jku", url}, {"detail", e.what()}});
      }
      done(std::move(body));
    }).detach();
  };
}

}  // namespace nmo::service::auth
