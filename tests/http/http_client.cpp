#include "tests/http/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace nmo::test {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
}

}  // namespace

bool HttpResponse::has_header(std::string_view name) const {
  const std::string key = lower(name);
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return h.first == key; });
}

std::string HttpResponse::header(std::string_view name) const {
  const std::string key = lower(name);
  for (const auto& [n, v] : headers) {
    if (n == key) return v;
  }
  return {};
}

std::string HttpRequest::serialize_head() const {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  if (add_content_length && (!body.empty() || method == "POST" || method == "PUT")) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string HttpRequest::serialize() const { return serialize_head() + body; }

HttpRequest get(std::string target) {
  HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

HttpRequest post_json(std::string target, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.target = std::move(target);
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

HttpRequest with_origin(HttpRequest request, std::string origin) {
  request.headers.emplace_back("Origin", std::move(origin));
  return request;
}

std::optional<ClientConnection> ClientConnection::try_open(std::uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (rc == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
    } else {
      rc = -1;
    }
  }
  if (rc != 0) {
    ::close(fd);
    return std::nullopt;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return ClientConnection(fd);
}

ClientConnection ClientConnection::open(std::uint16_t port, std::chrono::milliseconds timeout) {
  auto c = try_open(port, timeout);
  if (!c) throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  return std::move(*c);
}

ClientConnection::ClientConnection(ClientConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

ClientConnection& ClientConnection::operator=(ClientConnection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

ClientConnection::~ClientConnection() { close(); }

void ClientConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool ClientConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

ClientConnection::Fill ClientConnection::fill(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return Fill::timeout;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fill::eof;  // orderly close, or reset
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return Fill::data;
  }
}

bool ClientConnection::readable(std::chrono::milliseconds timeout) {
  if (!buffer_.empty()) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

bool ClientConnection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    switch (fill(deadline)) {
      case Fill::eof:
        return true;
      case Fill::timeout:
        return false;
      case Fill::data:
        buffer_.clear();
        break;
    }
  }
}

HttpResponse ClientConnection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto need = [&](auto&& done, const char* what) {
    while (!done()) {
      switch (fill(deadline)) {
        case Fill::data:
          break;
        case Fill::eof:
          throw std::runtime_error(std::string("connection closed while reading ") + what);
        case Fill::timeout:
          throw std::runtime_error(std::string("timed out reading ") + what);
      }
    }
  };

  for (;;) {
    std::size_t head_end = std::string::npos;
    need([&] { return (head_end = buffer_.find("\r\n\r\n")) != std::string::npos; }, "the response head");
    const std::string head = buffer_.substr(0, head_end);
    buffer_.erase(0, head_end + 4);

    HttpResponse response;
    std::string_view rest(head);
    const auto line_end = rest.find("\r\n");
    const std::string_view status_line = rest.substr(0, line_end);
    if (status_line.substr(0, 7) != "HTTP/1." || status_line.size() < 12) {
      throw std::runtime_error("malformed status line: " + std::string(status_line));
    }
    std::from_chars(status_line.data() + 9, status_line.data() + 12, response.status);
    rest = line_end == std::string_view::npos ? std::string_view{} : rest.substr(line_end + 2);
    while (!rest.empty()) {
      const auto eol = rest.find("\r\n");
      const std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) throw std::runtime_error("malformed header: " + std::string(line));
      response.headers.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    }

    if (response.status >= 100 && response.status < 200) continue;  // 100 Continue and friends
    if (response.status == 204 || response.status == 304) return response;

    if (lower(response.header("transfer-encoding")).find("chunked") != std::string::npos) {
      for (;;) {
        std::size_t eol = std::string::npos;
        need([&] { return (eol = buffer_.find("\r\n")) != std::string::npos; }, "a chunk size");
        std::size_t size = 0;
        const auto [p, ec] = std::from_chars(buffer_.data(), buffer_.data() + eol, size, 16);
        if (ec != std::errc{} || p == buffer_.data()) throw std::runtime_error("malformed chunk size");
        buffer_.erase(0, eol + 2);
        if (size == 0) {
          // Trailers (none expected), then the final blank line.
          std::size_t end = std::string::npos;
          need([&] { return (end = buffer_.find("\r\n")) != std::string::npos; }, "the last chunk");
          while (end != 0) {
            buffer_.erase(0, end + 2);
            need([&] { return (end = buffer_.find("\r\n")) != std::string::npos; }, "the trailers");
          }
          buffer_.erase(0, 2);
          return response;
        }
        need([&] { return buffer_.size() >= size + 2; }, "a chunk");
        response.body.append(buffer_, 0, size);
        buffer_.erase(0, size + 2);
      }
    }

    const std::string length = response.header("content-length");
    if (!length.empty()) {
      std::size_t size = 0;
      const auto [p, ec] = std::from_chars(length.data(), length.data() + length.size(), size);
      if (ec != std::errc{}) throw std::runtime_error("malformed Content-Length: " + length);
      need([&] { return buffer_.size() >= size; }, "the body");
      response.body = buffer_.substr(0, size);
      buffer_.erase(0, size);
      return response;
    }

    // Neither length nor chunked: the body runs to the end of the connection.
    for (;;) {
      const Fill f = fill(deadline);
      if (f == Fill::eof) break;
      if (f == Fill::timeout) throw std::runtime_error("timed out reading a body delimited by close");
    }
    response.body = std::move(buffer_);
    buffer_.clear();
    return response;
  }
}

std::optional<HttpResponse> ClientConnection::try_read_response(std::chrono::milliseconds timeout) {
  try {
    return read_response(timeout);
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

HttpResponse exchange(std::uint16_t port, const HttpRequest& request, std::chrono::milliseconds timeout) {
  auto c = ClientConnection::open(port);
  if (!c.send(request.serialize())) throw std::runtime_error("the server closed the connection while sending");
  return c.read_response(timeout);
}

}  // namespace nmo::test
