#pragma once
// An asynchronous FHIR REST client (GET only) on Boost.Beast + Asio + OpenSSL 3, with its own io_context and I/O
// thread (independent of the HTTP transport). HTTPS with SNI and hostname verification against the system trust
// store or a configured CA file; plain HTTP only to loopback addresses; keep-alive connections reused per origin;
// `Accept: application/fhir+json`, `Authorization: Bearer`. Redirects are never followed (a 3xx is a failure).
// Searchset Bundles are followed through their `next` links under the call's base URL only (same origin, under
// its path), bounded in pages, entries and bytes. The bearer token is sent there and nowhere else: never in a
// result message. Framing (RFC 9110 §15.2, RFC 9112 §9.3): 1xx interim responses are skipped; a connection goes
// back to the pool only after a complete 2xx with nothing else buffered on it, and is dropped when it has
// unread bytes when taken again.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "fhir/json.hpp"

// Exported from the shared object the cpprest build makes of the client (service/fetch/CMakeLists.txt).
#define NMO_FHIR_CLIENT_API __attribute__((visibility("default")))

namespace nmo::service::fetch {

struct FhirClientOptions {
  std::string ca_file;  // PEM; empty: the system trust store
  std::size_t max_response_bytes = 4u << 20;
  std::size_t max_total_bytes = 16u << 20;  // all pages of one get()
  std::size_t max_pages = 10;
  std::size_t max_entries = 5000;
  std::size_t idle_connections_per_host = 4;
  fhir::JsonLimits json_limits;
};

/// An absolute http or https URL, split. `host` is bare (no brackets around an IPv6 literal).
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case
  std::string port;    // always set ("80"/"443" by default)
  std::string target;  // path and query, starting with '/'
  /// scheme://host:port — two URLs are the same origin when these are equal.
  NMO_FHIR_CLIENT_API std::string origin() const;
};

/// nullopt unless `text` is an absolute http(s) URL without userinfo, control characters or spaces. A fragment
/// is dropped.
NMO_FHIR_CLIENT_API std::optional<Url> parse_url(std::string_view text);
/// Whether `url` is under `base`: the same origin, and a path equal to the base path or below it (segment-wise).
/// A path with a dot segment, encoded slash or backslash is never under anything.
NMO_FHIR_CLIENT_API bool is_under_base(const Url& url, const Url& base);
/// RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
NMO_FHIR_CLIENT_API bool is_b64token(std::string_view token);
/// "localhost", 127.0.0.0/8 or ::1.
NMO_FHIR_CLIENT_API bool is_loopback_host(std::string_view host);

struct FetchResult {
  enum class Error {
    none,
    refused,         // policy: plain http to a non-loopback host, a next link outside the base, a bad URL or token
    connect,         // resolve or connect failed
    tls,             // handshake or certificate verification failed
    timeout,         // the call timeout or the deadline passed
    http_status,     // a non-2xx, non-3xx answer (http_status holds it)
    redirect,        // a 3xx answer: never followed
    too_large,       // a body over max_response_bytes, or all pages over max_total_bytes
    invalid_json,    // the body is not JSON, or not a FHIR resource
    too_many_pages,  // more next links than max_pages
    too_many_entries,
    io,              // the connection failed mid-exchange
  };
  Error error = Error::none;
  int http_status = 0;
  std::string message;  // public: what went wrong, without URL, query or token
  std::vector<std::shared_ptr<rapidjson::Document>> pages;  // one per response, in order (a resource or Bundle)
  std::size_t bytes = 0;                                    // body bytes read, all pages

  bool ok() const { return error == Error::none; }
};

class NMO_FHIR_CLIENT_API FhirClient {
 public:
  /// Starts the I/O thread. Throws std::runtime_error when the CA file cannot be loaded.
  explicit FhirClient(FhirClientOptions options);
  /// Stops the I/O thread; calls still in flight are abandoned without their callback.
  ~FhirClient();
  FhirClient(const FhirClient&) = delete;
  FhirClient& operator=(const FhirClient&) = delete;

  using Callback = std::function<void(FetchResult)>;
  /// GETs `url` (absolute) and, for a Bundle, every page after it whose `next` link is under `base` (the FHIR
  /// server's base URL; is_under_base()). Each HTTP exchange must finish within `call_timeout` and everything by
  /// `deadline`. `done` is called exactly once, on the client's I/O thread (never inline). An empty
  /// `bearer_token` sends no Authorization header; one that is not a b64token is refused before any connection.
  /// Thread-safe.
  void get(std::string url, std::string base, std::string bearer_token, std::chrono::milliseconds call_timeout,
           std::chrono::steady_clock::time_point deadline, Callback done);

  /// Connections currently idle in the pool (all origins), for tests.
  std::size_t idle_connections() const;

  struct Impl;  // opaque: the io_context, TLS context, connection pool and thread

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace nmo::service::fetch
