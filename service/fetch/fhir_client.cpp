#include "service/fetch/fhir_client.hpp"

#include <pthread.h>
#include <signal.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace nmo::service::fetch {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Error = FetchResult::Error;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// One connection to one origin: plain TCP or TLS over TCP.
struct Connection {
  std::string origin;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  template <class F>
  void with_stream(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(*plain);
    }
  }
};

}  // namespace

std::string Url::origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + port;
}

std::optional<Url> parse_url(std::string_view text) {
  // RFC 3986 has no place for controls or spaces in a URL; written into a request line they would smuggle headers.
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return std::nullopt;
  }
  Url url;
  const auto colon = text.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  url.scheme = lower(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(colon + 3);
  rest = rest.substr(0, rest.find('#'));
  const auto end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = lower(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    const auto c = authority.find(':');
    url.host = lower(authority.substr(0, c));
    if (c != std::string_view::npos) port = authority.substr(c + 1);
  }
  if (url.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
    url.port = std::to_string(value);
  } else {
    url.port = url.scheme == "https" ? "443" : "80";
  }
  url.target = target.empty() ? "/" : std::string(target);
  if (url.target.front() == '?') url.target.insert(0, "/");
  return url;
}

bool is_under_base(const Url& url, const Url& base) {
  if (url.origin() != base.origin()) return false;
  const std::string path = lower(url.target.substr(0, url.target.find('?')));
  std::string_view root = std::string_view(base.target).substr(0, base.target.find('?'));
  while (!root.empty() && root.back() == '/') root.remove_suffix(1);
  // Refused rather than resolved: a server may decode these and climb out of the base.
  if (path.find('\\') != std::string::npos || path.find("%2f") != std::string::npos ||
      path.find("%5c") != std::string::npos) {
    return false;
  }
  for (std::size_t start = 0; start <= path.size();) {
    const auto end = std::min(path.find('/', start), path.size());
    const std::string_view segment = std::string_view(path).substr(start, end - start);
    for (std::string_view dots : {".", "..", "%2e", "%2e%2e", ".%2e", "%2e."}) {
      if (segment == dots) return false;
    }
    start = end + 1;
  }
  const std::string_view p = std::string_view(url.target).substr(0, url.target.find('?'));
  return root.empty() || p == root ||
         (p.size() > root.size() && p.substr(0, root.size()) == root && p[root.size()] == '/');
}

bool is_b64token(std::string_view token) {
  std::size_t i = 0;
  while (i < token.size() && (std::isalnum(static_cast<unsigned char>(token[i])) != 0 ||
                              std::string_view("-._~+/").find(token[i]) != std::string_view::npos)) {
    ++i;
  }
  if (i == 0) return false;
  while (i < token.size() && token[i] == '=') ++i;
  return i == token.size();
}

bool is_loopback_host(std::string_view host) {
  if (lower(host) == "localhost") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

// Destroyed in reverse order: the pool is cleared and the thread joined first (~FhirClient), then the io_context
// destroys abandoned calls while the TLS context still exists.
struct FhirClient::Impl {
  explicit Impl(FhirClientOptions o) : options(std::move(o)), tls_context(ssl::context::tls_client) {}

  FhirClientOptions options;
  ssl::context tls_context;
  asio::io_context ioc{1};
  mutable std::mutex pool_mutex;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;  // origin → connections
  std::thread thread;

  // An idle connection with bytes waiting carries an answer nobody asked for: dropped, never read.
  std::unique_ptr<Connection> take(const std::string& origin) {
    std::lock_guard lock(pool_mutex);
    auto it = idle.find(origin);
    while (it != idle.end() && !it->second.empty()) {
      auto c = std::move(it->second.back());
      it->second.pop_back();
      boost::system::error_code ec;
      const std::size_t waiting = c->lowest().socket().available(ec);
      if (!ec && waiting == 0 && c->buffer.size() == 0) return c;
    }
    return nullptr;
  }
  void give_back(std::unique_ptr<Connection> c) {
    std::lock_guard lock(pool_mutex);
    auto& list = idle[c->origin];
    if (list.size() < options.idle_connections_per_host) list.push_back(std::move(c));
  }
};

namespace {

// One get(): the first URL and then each next page, one HTTP exchange at a time, on the client's thread.
class Fetch : public std::enable_shared_from_this<Fetch> {
 public:
  Fetch(FhirClient::Impl* client, Url url, Url base, std::string token, std::chrono::milliseconds call_timeout,
        Clock::time_point deadline, FhirClient::Callback done)
      : client_(client),
        origin_(url.origin()),
        url_(std::move(url)),
        base_(std::move(base)),
        token_(std::move(token)),
        call_timeout_(call_timeout),
        deadline_(deadline),
        done_(std::move(done)),
        resolver_(client_->ioc),
        timer_(client_->ioc) {}

  void start() { start_exchange(); }

 private:
  void start_exchange() {
    const auto exchange_deadline = std::min(Clock::now() + call_timeout_, deadline_);
    timed_out_ = false;
    const std::size_t generation = ++generation_;
    timer_.expires_at(exchange_deadline);
    timer_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
      if (ec || generation != self->generation_) return;  // cancelled: the exchange finished first
      self->timed_out_ = true;
      self->resolver_.cancel();
      if (self->conn_) self->conn_->lowest().close();
    });
    request_ = {};
    request_.version(11);
    request_.method(http::verb::get);
    request_.target(url_.target);
    const bool default_port = url_.port == (url_.scheme == "https" ? "443" : "80");
    const std::string host = url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host;
    request_.set(http::field::host, default_port ? host : host + ":" + url_.port);
    request_.set(http::field::accept, "application/fhir+json");
    request_.set(http::field::user_agent, "nmo-cds");
    if (!token_.empty()) request_.set(http::field::authorization, "Bearer " + token_);
    retried_ = false;
    conn_ = client_->take(origin_);
    if (conn_) {
      reused_ = true;
      write();
    } else {
      connect();
    }
  }

  void connect() {
    reused_ = false;
    resolver_.async_resolve(url_.host, url_.port, [self = shared_from_this()](boost::system::error_code ec,
                                                                              tcp::resolver::results_type results) {
      self->on_resolve(ec, std::move(results));
    });
  }

  void on_resolve(boost::system::error_code ec, tcp::resolver::results_type results) {
    if (timed_out_) return fail(Error::timeout, "the FHIR server did not answer in time");
    if (ec) return fail(Error::connect, "the FHIR server's name could not be resolved");
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) {
      // Plain http only to this machine: a bearer token never crosses a network in clear.
      if (url_.scheme == "http" && !entry.endpoint().address().is_loopback()) continue;
      endpoints.push_back(entry.endpoint());
    }
    if (endpoints.empty()) return fail(Error::refused, "plain http is allowed to loopback addresses only");
    conn_ = std::make_unique<Connection>();
    conn_->origin = origin_;
    if (url_.scheme == "https") {
      conn_->tls.emplace(client_->ioc, client_->tls_context);
      SSL* ssl_handle = conn_->tls->native_handle();
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      bool ok = true;
      if (is_ip_literal(url_.host)) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str()) == 1;
      } else {
        // SNI (RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName").
        ok = SSL_set_tlsext_host_name(ssl_handle, url_.host.c_str()) == 1 &&
             X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), 0) == 1;
      }
      if (!ok) return fail(Error::tls, "TLS set-up failed");
      conn_->tls->set_verify_mode(ssl::verify_peer);
    } else {
      conn_->plain.emplace(client_->ioc);
    }
    conn_->lowest().async_connect(endpoints, [self = shared_from_this()](boost::system::error_code ec,
                                                                        const tcp::endpoint&) {
      self->on_connect(ec);
    });
  }

  void on_connect(boost::system::error_code ec) {
    if (timed_out_) return fail(Error::timeout, "the FHIR server did not answer in time");
    if (ec) return fail(Error::connect, "the FHIR server could not be reached");
    conn_->lowest().socket().set_option(tcp::no_delay(true), ec);
    if (!conn_->tls) return write();
    conn_->tls->async_handshake(ssl::stream_base::client,
                                [self = shared_from_this()](boost::system::error_code ec) {
                                  if (self->timed_out_) return self->fail(Error::timeout, "TLS handshake timed out");
                                  if (ec) return self->fail(Error::tls, "TLS handshake or certificate check failed");
                                  self->write();
                                });
  }

  void write() {
    conn_->with_stream([this](auto& stream) {
      http::async_write(stream, request_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        self->on_write(ec);
      });
    });
  }

  void on_write(boost::system::error_code ec) {
    if (timed_out_) return fail(Error::timeout, "the FHIR server did not answer in time");
    if (ec) return retry_or_fail("the connection to the FHIR server failed");
    interim_ = 0;
    read_header();
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(64u << 10);
    parser_->body_limit(client_->options.max_response_bytes);
    conn_->with_stream([this](auto& stream) {
      http::async_read_header(stream, conn_->buffer, *parser_,
                              [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                                self->on_header(ec);
                              });
    });
  }

  void on_header(boost::system::error_code ec) {
    if (timed_out_) return fail(Error::timeout, "the FHIR server did not answer in time");
    if (ec == http::error::header_limit) return fail(Error::too_large, "a FHIR response's headers were too large");
    if (ec == http::error::body_limit) return fail(Error::too_large, "a FHIR response was over the size limit");
    if (ec) return retry_or_fail("the connection to the FHIR server failed");
    // RFC 9110 §15.2: a 1xx is interim and the final answer follows; taken as the answer, it would leave that
    // answer on the connection for the next exchange. 101 (a protocol switch) is never asked for.
    const unsigned status = parser_->get().result_int();
    if (status >= 100 && status < 200) {
      if (status == 101 || ++interim_ > kMaxInterim) {
        return fail(Error::io, "the FHIR server sent an unexpected interim response");
      }
      return read_header();
    }
    // Checked here as well, in case the parser lets a declared Content-Length through.
    const auto length = parser_->content_length();
    if (length && *length > client_->options.max_response_bytes) {
      return fail(Error::too_large, "a FHIR response was over the size limit");
    }
    conn_->with_stream([this](auto& stream) {
      http::async_read(stream, conn_->buffer, *parser_,
                       [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
    });
  }

  // A keep-alive connection the server closed while idle fails before any answer: try once on a new one (GET is
  // idempotent).
  void retry_or_fail(const char* message) {
    const bool nothing_read = interim_ == 0 && (!parser_ || !parser_->got_some());
    if (reused_ && !retried_ && nothing_read) {
      retried_ = true;
      conn_.reset();
      parser_.reset();
      connect();
      return;
    }
    fail(Error::io, message);
  }

  void on_read(boost::system::error_code ec) {
    if (timed_out_) return fail(Error::timeout, "the FHIR server did not answer in time");
    if (ec == http::error::body_limit) return fail(Error::too_large, "a FHIR response was over the size limit");
    if (ec) return fail(Error::io, "the connection to the FHIR server failed");
    auto response = parser_->release();
    parser_.reset();
    timer_.cancel();
    const unsigned status = response.result_int();
    // Reused only when this exchange ended cleanly: a complete 2xx and not one byte more (RFC 9112 §9.3).
    if (status >= 200 && status < 300 && response.keep_alive() && conn_->buffer.size() == 0) {
      client_->give_back(std::move(conn_));
    }
    conn_.reset();
    if (status >= 300 && status < 400) {
      return fail(Error::redirect, "the FHIR server answered a redirect (" + std::to_string(status) +
                                       "), which is not followed");
    }
    if (status < 200 || status >= 300) {
      result_.http_status = static_cast<int>(status);
      return fail(Error::http_status, "the FHIR server answered " + std::to_string(status));
    }
    result_.http_status = static_cast<int>(status);
    std::string& body = response.body();
    result_.bytes += body.size();
    if (result_.bytes > client_->options.max_total_bytes) {
      return fail(Error::too_large, "the FHIR search was over the size limit");
    }
    auto parsed = fhir::parse_json(body, client_->options.json_limits);
    if (!parsed || !parsed->IsObject() || !parsed->HasMember("resourceType") ||
        !(*parsed)["resourceType"].IsString()) {
      return fail(Error::invalid_json, "the FHIR server's answer is not a FHIR resource in JSON");
    }
    auto doc = std::make_shared<rapidjson::Document>(std::move(*parsed));
    std::optional<std::string> next;
    if (std::string_view((*doc)["resourceType"].GetString()) == "Bundle") {
      if (auto e = doc->FindMember("entry"); e != doc->MemberEnd() && e->value.IsArray()) {
        entries_ += e->value.Size();
      }
      if (auto l = doc->FindMember("link"); l != doc->MemberEnd() && l->value.IsArray()) {
        for (const auto& link : l->value.GetArray()) {
          if (!link.IsObject()) continue;
          auto rel = link.FindMember("relation");
          auto href = link.FindMember("url");
          if (rel != link.MemberEnd() && rel->value.IsString() && std::string_view(rel->value.GetString()) == "next" &&
              href != link.MemberEnd() && href->value.IsString()) {
            next = std::string(href->value.GetString(), href->value.GetStringLength());
          }
        }
      }
    }
    result_.pages.push_back(std::move(doc));
    if (entries_ > client_->options.max_entries) {
      return fail(Error::too_many_entries, "the FHIR search returned more entries than the limit");
    }
    if (!next) return finish();
    if (result_.pages.size() >= client_->options.max_pages) {
      return fail(Error::too_many_pages, "the FHIR search had more pages than the limit");
    }
    auto next_url = parse_url(*next);
    if (!next_url || !is_under_base(*next_url, base_)) {
      return fail(Error::refused, "a FHIR search's next link points outside fhirServer; not followed");
    }
    url_ = std::move(*next_url);
    start_exchange();
  }

  void fail(Error error, std::string message) {
    timer_.cancel();
    if (conn_) {
      boost::system::error_code ignored;
      conn_->lowest().socket().close(ignored);
      conn_.reset();
    }
    result_.error = error;
    result_.message = std::move(message);
    result_.pages.clear();
    finish();
  }

  void finish() {
    timer_.cancel();
    ++generation_;
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(result_));
  }

  FhirClient::Impl* client_;
  static constexpr int kMaxInterim = 8;  // 1xx responses before one answer

  std::string origin_;
  Url url_;
  Url base_;
  std::string token_;
  std::chrono::milliseconds call_timeout_;
  Clock::time_point deadline_;
  FhirClient::Callback done_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::unique_ptr<Connection> conn_;
  http::request<http::empty_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  bool reused_ = false;
  bool retried_ = false;
  bool timed_out_ = false;
  int interim_ = 0;  // 1xx responses read in this exchange
  std::size_t generation_ = 0;
  std::size_t entries_ = 0;
  FetchResult result_;
};

}  // namespace

FhirClient::FhirClient(FhirClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  auto& ctx = impl_->tls_context;
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(ssl::verify_peer);
  try {
    if (impl_->options.ca_file.empty()) {
      ctx.set_default_verify_paths();
    } else {
      ctx.load_verify_file(impl_->options.ca_file);
    }
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot load the FHIR client's trust anchors (fhir.ca_file): " +
                             std::string(e.what()));
  }
  impl_->thread = std::thread([impl = impl_.get()] {
    // Signals are for the thread that waits for them (`serve` uses sigwait), never this one.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    auto guard = asio::make_work_guard(impl->ioc);
    impl->ioc.run();
  });
}

FhirClient::~FhirClient() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::lock_guard lock(impl_->pool_mutex);
  impl_->idle.clear();
}

void FhirClient::get(std::string url, std::string base, std::string bearer_token,
                     std::chrono::milliseconds call_timeout, std::chrono::steady_clock::time_point deadline,
                     Callback done) {
  asio::post(impl_->ioc, [impl = impl_.get(), url = std::move(url), base = std::move(base),
                          token = std::move(bearer_token), call_timeout, deadline, done = std::move(done)]() mutable {
    auto refuse = [&done](const char* message) {
      FetchResult r;
      r.error = Error::refused;
      r.message = message;
      done(std::move(r));
    };
    auto parsed = parse_url(url);
    auto parsed_base = parse_url(base);
    if (!parsed || !parsed_base) return refuse("the FHIR URL is not an absolute http(s) URL");
    // The token goes into a header line: anything but a b64token could end the line and smuggle a request.
    if (!token.empty() && !is_b64token(token)) return refuse("the bearer token is not an RFC 6750 b64token");
    if (!is_under_base(*parsed, *parsed_base)) return refuse("the FHIR URL is outside fhirServer");
    if (parsed->scheme == "http" && !is_loopback_host(parsed->host)) {
      return refuse("plain http is allowed to loopback addresses only");
    }
    std::make_shared<Fetch>(impl, std::move(*parsed), std::move(*parsed_base), std::move(token), call_timeout, deadline,
                            std::move(done))
        ->start();
  });
}

std::size_t FhirClient::idle_connections() const {
  std::lock_guard lock(impl_->pool_mutex);
  std::size_t n = 0;
  for (const auto& [origin, list] : impl_->idle) n += list.size();
  return n;
}

}  // namespace nmo::service::fetch
