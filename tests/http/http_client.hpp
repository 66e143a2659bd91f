#pragma once
// A small raw HTTP/1.1 client over POSIX sockets for the HTTP tests: the exact bytes go out (partial requests,
// pipelined requests, bad framing), one whole response comes back. No third-party library, no hidden retries.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nmo::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  Headers headers;  // names lower case, in the order received
  std::string body;

  bool has_header(std::string_view name) const;
  /// First value of header `name` (any case), or "" when absent.
  std::string header(std::string_view name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  Headers headers;  // sent as given, after Host
  std::string body;
  bool add_content_length = true;  // Content-Length for a non-empty body and for POST/PUT

  /// The request as bytes on the wire.
  std::string serialize() const;
  /// The request line and headers only (up to and including the blank line).
  std::string serialize_head() const;
};

HttpRequest get(std::string target);
HttpRequest post_json(std::string target, std::string body);
/// Adds `Origin: https://sandbox.cds-hooks.org` (the public sandbox) unless `origin` says otherwise.
HttpRequest with_origin(HttpRequest request, std::string origin = "https://sandbox.cds-hooks.org");

/// One TCP connection to 127.0.0.1. Move-only; closes on destruction. Not thread safe.
class ClientConnection {
 public:
  /// Connects; throws std::runtime_error when refused or when `timeout` passes.
  static ClientConnection open(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Connects; nullopt when refused or timed out.
  static std::optional<ClientConnection> try_open(std::uint16_t port,
                                                  std::chrono::milliseconds timeout = std::chrono::seconds(5));

  ClientConnection(ClientConnection&& other) noexcept;
  ClientConnection& operator=(ClientConnection&& other) noexcept;
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;
  ~ClientConnection();

  /// Writes all of `bytes`. False when the peer has closed or reset the connection (never raises SIGPIPE).
  bool send(std::string_view bytes);
  /// Reads one whole response (body by Content-Length, chunked, or to EOF; 1xx skipped). Throws
  /// std::runtime_error on timeout, on a close before the response is whole, or on malformed framing.
  HttpResponse read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Like read_response, but nullopt instead of an exception when the connection closes or times out first.
  std::optional<HttpResponse> try_read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// True when the peer closes (EOF or reset) within `timeout`; bytes it sends first are read and discarded.
  bool wait_closed(std::chrono::milliseconds timeout);
  /// True when the peer has sent something (or closed) within `timeout`.
  bool readable(std::chrono::milliseconds timeout);
  void close();

 private:
  explicit ClientConnection(int fd) : fd_(fd) {}
  enum class Fill { data, eof, timeout };
  Fill fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;  // received, not yet consumed (the next pipelined response starts here)
};

/// Opens a connection, sends `request`, reads one response. Throws like ClientConnection::read_response.
HttpResponse exchange(std::uint16_t port, const HttpRequest& request,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace nmo::test
