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
#include <memory>
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

// One fetch, asynchronous on its own io_context, so that the deadline is real: the io_context runs for at most
// `deadline` and whatever is still pending then is abandoned (issue 11 item 1: synchronous Beast I/O ignores
// expires_after, and a jku server that accepted and stayed silent wedged the fetch for ever).
// Handlers capture `this`: the Fetch outlives run(), and handlers still pending then are destroyed uncalled with
// the io_context.
class Fetch {
 public:
  Fetch(Url url, std::size_t max_bytes) : url_(std::move(url)), max_bytes_(max_bytes) {}

  std::optional<std::string> run(std::chrono::milliseconds deadline) {
    if (url_.tls) {
      tls_ctx_.emplace(ssl::context::tls_client);
      SSL_CTX_set_min_proto_version(tls_ctx_->native_handle(), TLS1_2_VERSION);
      tls_ctx_->set_default_verify_paths();
      tls_ctx_->set_verify_mode(ssl::verify_peer);
      tls_.emplace(io_, *tls_ctx_);
      if (!SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str())) return std::nullopt;
      tls_->set_verify_callback(ssl::host_name_verification(url_.host));
    } else {
      plain_.emplace(io_);
    }
    resolver_.async_resolve(url_.host, url_.port,
                            [this](beast::error_code ec, tcp::resolver::results_type r) {
                              if (!ec) connect(r);
                            });
    io_.run_for(deadline);
    io_.stop();
    return std::move(body_);
  }

 private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  void connect(const tcp::resolver::results_type& endpoints) {
    lowest().async_connect(endpoints, [this](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return;
      if (!tls_) return write(*plain_);
      tls_->async_handshake(ssl::stream_base::client, [this](beast::error_code e) {
        if (!e) write(*tls_);
      });
    });
  }

  template <class Stream>
  void write(Stream& stream) {
    request_ = {http::verb::get, url_.target, 11};
    request_.set(http::field::host, url_.host);
    request_.set(http::field::accept, "application/json");
    request_.set(http::field::user_agent, "nmo-cds");
    http::async_write(stream, request_, [this, &stream](beast::error_code ec, std::size_t) {
      if (ec) return;
      parser_.body_limit(max_bytes_);
      http::async_read(stream, buffer_, parser_, [this](beast::error_code e, std::size_t) {
        if (!e && parser_.get().result() == http::status::ok) body_ = std::move(parser_.get().body());
        io_.stop();
      });
    });
  }

  Url url_;
  std::size_t max_bytes_;
  net::io_context io_;
  tcp::resolver resolver_{io_};
  std::optional<ssl::context> tls_ctx_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::optional<beast::tcp_stream> plain_;
  http::request<http::empty_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  std::optional<std::string> body_;
};

}  // namespace

Fetcher make_jwks_fetcher(std::chrono::milliseconds deadline) {
  return [deadline](const std::string& url, std::size_t max_bytes, FetchDone done) {
    std::thread([url, max_bytes, deadline, done = std::move(done)] {
      std::optional<std::string> body;
      std::unique_ptr<Fetch> fetch;  // destroyed after `done`: its io_context may take a while to shut down
      try {
        if (const auto parsed = parse_url(url)) {
          fetch = std::make_unique<Fetch>(*parsed, max_bytes);
          body = fetch->run(deadline);
        }
      } catch (const std::exception& e) {
        ops::log::write(ops::log::Level::warn, "jwks_fetch_error", {{"jku", url}, {"detail", e.what()}});
      }
      if (!body) {
        ops::log::write(ops::log::Level::warn, "jwks_fetch_error",
                        {{"jku", url}, {"detail", "no 200 response within the deadline"}});
      }
      done(std::move(body));
    }).detach();
  };
}

}  // namespace nmo::service::auth
