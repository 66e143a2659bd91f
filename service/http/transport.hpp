#pragma once
// The seam between the HTTP transport (Boost.Beast by default, cpprestsdk optionally) and the service: one
// function from request to response. Transport policy (limits, timeouts, keep-alive, pipelining, connection cap,
// graceful stop) lives in the transport; everything CDS Hooks lives behind the Handler.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nmo::service::http {

struct HttpRequest {
  std::string method;  // upper case, as sent
  std::string target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string body;
  std::string remote_address;
  bool remote_is_loopback = false;
  /// What Handler::check_head granted on these headers (e.g. the verified caller), for the handler only: set by
  /// the transport, never from the wire. Null when check_head was not asked (cpprest) or granted nothing.
  std::shared_ptr<const void> grant;

  /// First value of header `name` (lower case), or "" when absent.
  std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// Called exactly once with the response; from any thread, at once or later (e.g. after a FHIR fetch).
using Responder = std::function<void(HttpResponse)>;

/// What the handler decides on a request's headers, before its body is read (issue 11 item 2).
struct HeadDecision {
  std::optional<HttpResponse> refusal;  // set: the request is answered with it and its body is never read
  std::shared_ptr<const void> grant;    // otherwise: handed back in HttpRequest::grant with the whole request
};

/// Turns requests into responses. Called concurrently from the transport's worker threads; must not block them
/// on I/O (answer later through the Responder instead) and must not throw.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void handle(HttpRequest request, Responder done) const = 0;
  /// Called by a transport that can (Beast) once a request's headers are complete, before its body is read;
  /// `done` exactly once, at once or later from any thread. By default every request goes ahead.
  virtual void check_head(const HttpRequest& /*head*/, std::function<void(HeadDecision)> done) const { done({}); }
  /// A response for a failure the transport detects before a whole request exists (413 body too large,
  /// 400 malformed HTTP, 503 over the connection cap). `request` holds what was read (method, target, headers).
  virtual HttpResponse transport_error(int status, std::string_view message, const HttpRequest& request) const = 0;
};

struct TransportOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: an ephemeral port
  unsigned threads = 0;       // 0: the number of cores
  std::size_t max_body_bytes = 8u << 20;
  std::size_t max_header_bytes = 16u << 10;
  std::chrono::milliseconds header_timeout{10000};  // to read the request line and headers
  std::chrono::milliseconds body_timeout{30000};    // to read the body
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive connection waiting for its next request
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_address = 0;     // 0: no per-address cap
  // All request bodies being read at once, by their declared length (chunked: max_body_bytes); over it → 503.
  std::size_t max_buffered_body_bytes = std::size_t{256} << 20;
  std::size_t max_requests_per_connection = 1000;  // then the connection is closed after the response
  std::size_t max_pipelined = 16;                  // requests read ahead of their responses on one connection
  // TLS (PEM files): empty certificate file → plain HTTP. A client CA file turns on mutual TLS.
  std::string tls_certificate_file;
  std::string tls_private_key_file;
  std::string tls_client_ca_file;
};

class Transport {
 public:
  virtual ~Transport() = default;
  /// Binds and starts serving on worker threads; returns the bound port. Throws std::runtime_error when it can't.
  virtual std::uint16_t start() = 0;
  /// Graceful stop: stops accepting at once, lets in-flight requests finish and be answered, closes idle
  /// connections, and returns when all is done or after `grace` (then remaining connections are cut).
  virtual void stop(std::chrono::milliseconds grace) = 0;
  virtual const char* name() const = 0;
  /// Whether connections are served over TLS.
  virtual bool tls() const { return false; }
  /// Reloads the TLS certificate, key and client CA from their files (on SIGHUP); new connections use them.
  /// Throws std::runtime_error and keeps the current ones when they cannot be loaded.
  virtual void reload_tls() {}
};

/// The transport chosen at build time (NMO_TRANSPORT). The handler must outlive the transport.
std::unique_ptr<Transport> make_transport(const TransportOptions& options, const Handler& handler);

}  // namespace nmo::service::http
