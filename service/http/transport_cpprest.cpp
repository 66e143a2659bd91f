// HTTP/1.1 transport on cpprestsdk 2.10.18 (Debian 12 libcpprest-dev), built instead of transport_beast.cpp when
// configured with -DNMO_TRANSPORT=cpprest. It serves the same Handler and honours TransportOptions as far as
// cpprestsdk's Linux listener (web::http::experimental::listener on Boost.Asio, Release/src/http/listener/
// http_server_asio.cpp) lets it. Verified against that source and by test; what it cannot do:
//
//  1. Timeouts. http_listener_config::set_timeout is set but the Asio listener never reads it. This file adds its
//     own body timer: a request whose body is not complete `body_timeout` after its headers is answered 408 and
//     its connection closed. There is no hook before the headers are complete, so `header_timeout` and
//     `idle_timeout` are NOT enforced: a client that trickles its headers, or keeps an idle keep-alive
//     connection, is never cut off.
//  2. Connection cap. The listener accepts without limit and never exposes connections. `max_connections` caps
//     requests in flight instead (the listener reads one request per connection at a time, so this equals the
//     number of busy connections); beyond it → transport_error(503) and the connection is closed. Idle keep-alive
//     connections are not counted.
//  3. Body limit. Content-Length over `max_body_bytes` → 413 at once, the body is not read, the connection is
//     closed. With Transfer-Encoding: chunked the size is checked as the body streams in, but cpprestsdk buffers
//     each declared chunk whole before handing it over, so a single huge chunk is held in memory first.
//  4. Header limit. The listener reads headers into an unbounded buffer; `max_header_bytes` is checked only
//     afterwards (request line + "name: value\r\n" per header) → 400, as Beast answers.
//  5. Pipelining: not supported. The listener discards whatever it has read past the current request, so a
//     pipelined request that arrived in the same read is lost (its client waits). `max_pipelined` is moot.
//     `max_requests_per_connection` is not enforced (connections are not visible).
//  6. Expect: 100-continue is never answered with 100 Continue; the client waits out its own delay (curl: 1 s)
//     before it sends the body. Over-limit requests are answered 413 without that wait.
//  7. Some requests never reach the Handler, so their answers carry no CORS headers and no OperationOutcome:
//     a malformed request line, a target that isn't a valid URI or has bad percent-encoding (400, with
//     cpprestsdk's own message as a text body), a header line without a colon (400). Methods are matched
//     case-insensitively (`get` is served as GET). Repeated request headers reach the Handler as one header,
//     values joined with ", ".
//  8. Threads. cpprestsdk runs sockets and continuations on its one process-wide pool. The first transport
//     sizes it with crossplat::threadpool::initialize_with_threads(options.threads, or the number of cores; at
//     least 2); if anything in the process used cpprestsdk first, the pool keeps its size (40 by default).
//  9. Stop. http_listener::close() cuts every connection at once, answering requests still in the Handler
//     with 500 that is never delivered. So stop() first stops serving (new requests → 503, every response
//     carries Connection: close), waits up to `grace` for each request in flight to be answered and its
//     response written, answers any still running with 503, then closes the listener. The port keeps accepting
//     until then. Handlers run on the pool threads, and close() and the writes need one too: with every pool
//     thread busy in the Handler, stop() returns only when one is free (as Beast's stop joins its workers), and
//     a request whose headers wait for a free thread when stop() begins is answered 503. A Handler call still
//     running after the grace is not interrupted; the destructor waits for it (the Handler must stay valid).
// 10. Addresses: IPv4 addresses and host names only. The listener splits "host:port" at the first colon, so an
//     IPv6 literal can't be listened on; start() says so.

// cpprestsdk's headers name boost::asio::io_service, which nmo::asio's BOOST_ASIO_NO_DEPRECATED hides; the library
// itself is built without it.
#undef BOOST_ASIO_NO_DEPRECATED

#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>

#include "service/http/transport.hpp"
#include "service/ops/log.hpp"

namespace nmo::service::http {
namespace {

namespace http = web::http;
using http::experimental::listener::http_listener;
using http::experimental::listener::http_listener_config;

constexpr std::size_t kChunk = 64u << 10;  // read size while streaming a chunked body

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_loopback(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

// cpprestsdk can't report the port the kernel picked, so pick one: bind to ADDRESS:0, read it, release it.
std::uint16_t pick_free_port(const std::string& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(address.c_str(), "0", &hints, &found); rc != 0) {
    throw std::runtime_error("cpprest transport: cannot resolve listen address '" + address + "': " + gai_strerror(rc));
  }
  std::uint16_t port = 0;
  const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd >= 0) {
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    if (bind(fd, found->ai_addr, found->ai_addrlen) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
      port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
    close(fd);
  }
  freeaddrinfo(found);
  if (port == 0) throw std::runtime_error("cpprest transport: cannot find a free port on " + address);
  return port;
}

// The pool is process-wide and can be sized once, before its first use.
void size_thread_pool(unsigned threads) {
  static std::once_flag once;
  std::call_once(once, [threads] {
    const unsigned n = threads != 0 ? threads : std::thread::hardware_concurrency();
    try {
      crossplat::threadpool::initialize_with_threads(std::max(2u, n));
    } catch (const std::exception&) {
      // Already in use by other cpprestsdk code in this process: it keeps the size it was given.
    }
  });
}

// The listener keeps one acceptor per host:port for the whole process, and a second listener on a host:port in use
// fails in a way that removes the first one's acceptor (cpprestsdk 2.10.18 http_linux_server::register_listener).
// So two transports in one process never share an address.
class Endpoints {
 public:
  static bool claim(const std::string& endpoint) {
    std::lock_guard lock(mutex());
    return set().insert(endpoint).second;
  }
  static void release(const std::string& endpoint) {
    std::lock_guard lock(mutex());
    set().erase(endpoint);
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::set<std::string>& set() {
    static std::set<std::string> s;
    return s;
  }
};

// One request from its headers to its written response.
struct Exchange {
  http::http_request request;
  HttpRequest parsed;                 // method, target, headers, remote fixed at creation; body filled later
  std::atomic<bool> answered{false};  // one reply per request, whoever comes first
  std::mutex timer_mutex;
  std::unique_ptr<boost::asio::steady_timer> body_timer;
  std::string chunk;  // read buffer while streaming a chunked body

  explicit Exchange(http::http_request r) : request(std::move(r)) {}

  void cancel_timer() {
    std::lock_guard lock(timer_mutex);
    if (body_timer) body_timer->cancel();
  }

  // The head only (immutable after creation, so safe to copy while the body is being read).
  HttpRequest head() const {
    HttpRequest h;
    h.method = parsed.method;
    h.target = parsed.target;
    h.headers = parsed.headers;
    h.remote_address = parsed.remote_address;
    h.remote_is_loopback = parsed.remote_is_loopback;
    return h;
  }
};

// What the listener callback and the continuations share with the transport; they hold it by shared_ptr.
struct Shared : std::enable_shared_from_this<Shared> {
  TransportOptions options;
  const Handler& handler;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable changed;
  std::unordered_set<std::shared_ptr<Exchange>> in_flight;  // from the callback until the response is written
  std::size_t handler_calls = 0;                            // Handler::handle calls running, under `mutex`

  Shared(TransportOptions o, const Handler& h) : options(std::move(o)), handler(h) {}

  void finish(const std::shared_ptr<Exchange>& ex) {
    ex->cancel_timer();
    std::lock_guard lock(mutex);
    in_flight.erase(ex);
    changed.notify_all();
  }

  void answer(const std::shared_ptr<Exchange>& ex, HttpResponse&& r, bool close_after);  // unless already answered
  void send(const std::shared_ptr<Exchange>& ex, HttpResponse&& r, bool close_after);
  void reject(const std::shared_ptr<Exchange>& ex, int status, std::string_view message, bool abort_body);
  void serve(const std::shared_ptr<Exchange>& ex);
  void read_chunked(const std::shared_ptr<Exchange>& ex);
};

http::http_response to_cpprest(HttpResponse&& r, bool close_after) {
  http::http_response res(static_cast<http::status_code>(r.status));
  auto& headers = res.headers();
  headers.add("Server", "nmo-cds");
  for (auto& [name, value] : r.headers) headers.add(name, value);
  if (!r.body.empty()) {
    // utf8string&& overload: the bytes are moved in as they are, no charset is added or converted.
    res.set_body(std::move(r.body), r.content_type.empty() ? std::string("application/octet-stream") : r.content_type);
    if (r.content_type.empty()) headers.remove(http::header_names::content_type);
  } else if (!r.content_type.empty()) {
    headers.add(http::header_names::content_type, r.content_type);
  }
  if (close_after) headers.add(http::header_names::connection, "close");
  return res;
}

void Shared::answer(const std::shared_ptr<Exchange>& ex, HttpResponse&& r, bool close_after) {
  if (ex->answered.exchange(true)) return;
  send(ex, std::move(r), close_after);
}

void Shared::send(const std::shared_ptr<Exchange>& ex, HttpResponse&& r, bool close_after) {
  ex->cancel_timer();
  try {
    auto sent = ex->request.reply(to_cpprest(std::move(r), close_after || stopping.load()));
    // The continuation also observes a failed write (client gone): an unobserved pplx exception terminates.
    sent.then([self = shared_from_this(), ex](pplx::task<void> t) {
      try {
        t.wait();
      } catch (...) {
      }
      self->finish(ex);
    });
  } catch (...) {  // the listener already answered it (closed under it)
    finish(ex);
  }
}

// A failure before a whole request exists: the Handler's transport_error, then the connection closes.
void Shared::reject(const std::shared_ptr<Exchange>& ex, int status, std::string_view message, bool abort_body) {
  if (ex->answered.exchange(true)) return;  // claimed before the abort, which wakes the body reader
  if (abort_body) {
    // Ends the body as failed: cpprestsdk stops storing it and writes the response without waiting for the rest
    // (it answers only once the body is "complete"). A second completion later is a no-op.
    try {
      ex->request._get_impl()->_complete(0, std::make_exception_ptr(std::runtime_error(std::string(message))));
    } catch (...) {
    }
  }
  HttpResponse response;
  try {
    response = handler.transport_error(status, message, ex->head());
  } catch (...) {
    response.status = status;
    response.content_type = "text/plain";
    response.body = std::string(message);
  }
  send(ex, std::move(response), true);
}

// The whole request is here: run the Handler, which answers now or later from any thread.
void Shared::serve(const std::shared_ptr<Exchange>& ex) {
  ex->cancel_timer();
  if (ex->answered.load()) return;
  {
    std::lock_guard lock(mutex);
    ++handler_calls;
  }
  auto self = shared_from_this();
  auto done = [self, ex](HttpResponse response) {
    {
      std::lock_guard lock(self->mutex);
      --self->handler_calls;
      self->changed.notify_all();
    }
    self->answer(ex, std::move(response), false);
  };
  try {
    HttpRequest request = ex->head();
    request.body = std::move(ex->parsed.body);  // the body is not needed here again
    handler.handle(std::move(request), done);
  } catch (...) {
    HttpResponse response;
    try {
      response = handler.transport_error(500, "internal error", ex->head());
    } catch (...) {
      response = HttpResponse{500, "text/plain", {}, "internal error"};
    }
    done(std::move(response));
  }
}

void Shared::read_chunked(const std::shared_ptr<Exchange>& ex) {
  ex->chunk.resize(kChunk);
  auto buffer = ex->request.body().streambuf();
  auto self = shared_from_this();
  buffer.getn(reinterpret_cast<std::uint8_t*>(ex->chunk.data()), kChunk).then([self, ex](pplx::task<std::size_t> t) {
    std::size_t n = 0;
    try {
      n = t.get();
    } catch (...) {
      return self->reject(ex, 400, "incomplete request body", true);
    }
    if (n == 0) {
      ex->chunk = std::string();
      return self->serve(ex);
    }
    if (ex->parsed.body.size() + n > self->options.max_body_bytes) {
      return self->reject(ex, 413, "request body too large", true);
    }
    ex->parsed.body.append(ex->chunk, 0, n);
    self->read_chunked(ex);
  });
}

void observe_body(const http::http_request& request) {
  request.content_ready().then([](pplx::task<http::http_request> t) {
    try {
      t.wait();
    } catch (...) {
    }
  });
}

// Runs on a cpprestsdk pool thread as soon as the headers are read, with the body possibly still on the wire.
void on_request(const std::shared_ptr<Shared>& shared, http::http_request request) {
  auto ex = std::make_shared<Exchange>(std::move(request));
  const TransportOptions& o = shared->options;
  bool over_cap = false;
  {
    std::lock_guard lock(shared->mutex);
    over_cap = shared->in_flight.size() >= o.max_connections;
    shared->in_flight.insert(ex);
  }

  HttpRequest& r = ex->parsed;
  std::size_t header_bytes = 0;
  std::string_view content_length;
  std::string_view transfer_encoding;
  try {
    r.method = ex->request.method();
    r.target = ex->request.request_uri().to_string();
    header_bytes = r.method.size() + r.target.size() + 12;  // request line: "M T HTTP/1.1\r\n"
    for (const auto& [name, value] : ex->request.headers()) {
      header_bytes += name.size() + value.size() + 4;
      r.headers.emplace_back(lower(name), value);
    }
    r.remote_address = ex->request.remote_address();
    r.remote_is_loopback = is_loopback(r.remote_address);
    content_length = r.header("content-length");
    transfer_encoding = r.header("transfer-encoding");
  } catch (...) {
    observe_body(ex->request);
    return shared->reject(ex, 400, "malformed HTTP request", true);
  }

  std::uint64_t length = 0;
  const bool chunked = !transfer_encoding.empty();
  if (!content_length.empty()) {
    const auto* end = content_length.data() + content_length.size();
    if (std::from_chars(content_length.data(), end, length).ptr != end) {
      observe_body(ex->request);
      return shared->reject(ex, 400, "malformed HTTP request", true);
    }
  }
  if (over_cap || shared->stopping.load()) {
    observe_body(ex->request);
    return shared->reject(ex, 503, over_cap ? "too many connections" : "server is stopping", true);
  }
  if (header_bytes > o.max_header_bytes) {
    observe_body(ex->request);
    return shared->reject(ex, 400, "request headers too large", true);
  }
  // RFC 9112 §6.1: a request with both is an attack vector; chunked is the only coding the listener decodes.
  if (chunked && (!content_length.empty() || lower(std::string(transfer_encoding)) != "chunked")) {
    observe_body(ex->request);
    return shared->reject(ex, 400, "unsupported Transfer-Encoding", true);
  }
  if (length > o.max_body_bytes) {
    observe_body(ex->request);
    return shared->reject(ex, 413, "request body too large", true);
  }
  if (!chunked && length == 0) return shared->serve(ex);  // nothing to wait for

  // Body timeout: the listener has none (limitation 1).
  {
    std::lock_guard lock(ex->timer_mutex);
    ex->body_timer = std::make_unique<boost::asio::steady_timer>(crossplat::threadpool::shared_instance().service());
    ex->body_timer->expires_after(o.body_timeout);
    ex->body_timer->async_wait([weak_shared = std::weak_ptr<Shared>(shared),
                                weak_ex = std::weak_ptr<Exchange>(ex)](const boost::system::error_code& ec) {
      if (ec) return;
      auto s = weak_shared.lock();
      auto e = weak_ex.lock();
      if (s && e) s->reject(e, 408, "request body timeout", true);
    });
  }

  if (chunked) {
    observe_body(ex->request);
    return shared->read_chunked(ex);
  }
  ex->request.content_ready().then([shared, ex, length](pplx::task<http::http_request> t) {
    try {
      t.wait();
      auto buffer = ex->request.body().streambuf();
      ex->parsed.body.resize(static_cast<std::size_t>(length));
      std::size_t have = 0;
      while (have < length) {  // the body is complete, so getn doesn't wait
        const std::size_t n =
            buffer.getn(reinterpret_cast<std::uint8_t*>(ex->parsed.body.data() + have), length - have).get();
        if (n == 0) break;
        have += n;
      }
      ex->parsed.body.resize(have);
    } catch (...) {
      return shared->reject(ex, 400, "incomplete request body", true);
    }
    shared->serve(ex);
  });
}

class CpprestTransport final : public Transport {
 public:
  CpprestTransport(const TransportOptions& options, const Handler& handler)
      : shared_(std::make_shared<Shared>(options, handler)) {}

  ~CpprestTransport() override {
    if (listener_) stop(std::chrono::milliseconds(0));
    // A Handler call that outlived the grace still uses the Handler, which must outlive this object.
    std::unique_lock lock(shared_->mutex);
    shared_->changed.wait(lock, [this] { return shared_->handler_calls == 0; });
  }

  std::uint16_t start() override {
    if (listener_) throw std::logic_error("cpprest transport: already started");
    const auto& o = shared_->options;
    if (!o.tls_certificate_file.empty()) {
      throw std::runtime_error("cpprest transport: TLS serving is not supported; use the Beast transport or a "
                               "TLS-terminating proxy");
    }
    if (o.address.find(':') != std::string::npos) {
      throw std::runtime_error("cpprest transport: cannot listen on IPv6 address '" + o.address +
                               "' (cpprestsdk's listener splits host:port at the first colon); use Beast");
    }
    size_thread_pool(o.threads);
    http_listener_config config;
    config.set_timeout(std::chrono::duration_cast<std::chrono::seconds>(o.body_timeout));  // unused by Asio listener

    constexpr int kAttempts = 8;  // port 0: another process may take the port between probe and bind
    for (int attempt = 1;; ++attempt) {
      const std::uint16_t port = o.port != 0 ? o.port : pick_free_port(o.address);
      const std::string endpoint = o.address + ":" + std::to_string(port);
      if (!Endpoints::claim(endpoint)) {
        if (o.port == 0 && attempt < kAttempts) continue;
        throw std::runtime_error("cpprest transport: " + endpoint + " is already served by this process");
      }
      auto listener =
          std::make_unique<http_listener>(web::uri("http://" + o.address + ":" + std::to_string(port) + "/"), config);
      const auto handle = [shared = shared_](http::http_request request) { on_request(shared, std::move(request)); };
      listener->support(handle);
      // OPTIONS and TRACE otherwise get the listener's own answers (an Allow list; an echo of the request).
      listener->support(http::methods::OPTIONS, handle);
      listener->support(http::methods::TRCE, handle);
      try {
        listener->open().wait();
        listener_ = std::move(listener);
        endpoint_ = endpoint;
        return port;
      } catch (const boost::system::system_error& e) {
        Endpoints::release(endpoint);
        if (o.port == 0 && e.code() == boost::asio::error::address_in_use && attempt < kAttempts) continue;
        throw std::runtime_error("cpprest transport: cannot listen on " + endpoint + ": " + e.what());
      } catch (const std::exception& e) {
        Endpoints::release(endpoint);
        throw std::runtime_error("cpprest transport: cannot listen on " + endpoint + ": " + e.what());
      }
    }
  }

  void stop(std::chrono::milliseconds grace) override {
    if (!listener_) return;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    shared_->stopping.store(true);
    std::vector<std::shared_ptr<Exchange>> stragglers;
    {
      std::unique_lock lock(shared_->mutex);
      if (!shared_->changed.wait_until(lock, deadline, [this] { return shared_->in_flight.empty(); })) {
        stragglers.assign(shared_->in_flight.begin(), shared_->in_flight.end());
      }
    }
    if (!stragglers.empty()) {
      ops::log::write(ops::log::Level::warn, "shutdown_grace_expired",
                 {{"requests_in_flight", static_cast<std::int64_t>(stragglers.size())}});
      // Answer them ourselves: the listener would answer 500 and leave an unobserved failure (pplx terminates).
      for (auto& ex : stragglers) shared_->reject(ex, 503, "server is stopping", true);
      std::unique_lock lock(shared_->mutex);
      shared_->changed.wait_for(lock, std::chrono::milliseconds(100), [this] { return shared_->in_flight.empty(); });
    }
    stragglers.clear();
    // Stops accepting, closes every connection (now all idle or done) and waits for them.
    try {
      listener_->close().wait();
    } catch (const std::exception& e) {
      ops::log::write(ops::log::Level::warn, "transport_close_failed", {{"detail", std::string_view(e.what())}});
    }
    listener_.reset();
    Endpoints::release(endpoint_);
  }

  const char* name() const override { return "cpprest"; }

 private:
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<http_listener> listener_;
  std::string endpoint_;
};

}  // namespace

std::unique_ptr<Transport> make_transport(const TransportOptions& options, const Handler& handler) {
  return std::make_unique<CpprestTransport>(options, handler);
}

}  // namespace nmo::service::http
