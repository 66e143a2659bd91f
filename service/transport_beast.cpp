// HTTP/1.1 transport on Boost.Beast (Boost 1.74). Transport policy lives in the session, as in Beast's
// example/advanced/server-flex: body and header limits, a timeout for the headers, one for the body and one for
// an idle keep-alive connection, a queue of at most `max_pipelined` responses per connection, a cap on
// connections, and a graceful stop that lets in-flight requests finish.

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "service/log.hpp"
#include "service/transport.hpp"

namespace nmo::service {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class Session;

// What sessions share with the server; sessions hold it by shared_ptr so it outlives them in any order.
struct Shared {
  TransportOptions options;
  const Handler& handler;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable drained;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

  Shared(TransportOptions o, const Handler& h) : options(std::move(o)), handler(h) {}
};

using Response = http::response<http::string_body>;

std::shared_ptr<Response> to_beast(HttpResponse&& r, unsigned version, bool keep_alive) {
  auto res = std::make_shared<Response>(static_cast<http::status>(r.status), version);
  res->set(http::field::server, "nmo-cds");
  if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) res->insert(name, value);
  res->body() = std::move(r.body);
  res->keep_alive(keep_alive);
  res->prepare_payload();
  return res;
}


class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    boost::system::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      remote_address_ = remote.address().to_string();
      const auto a = remote.address();
      loopback_ = a.is_loopback() || (a.is_v6() && a.to_v6().is_v4_mapped() &&
                                      net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).is_loopback());
    }
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  ~Session() {
    std::lock_guard lock(shared_->mutex);
    shared_->sessions.erase(this);
    if (shared_->sessions.empty()) shared_->drained.notify_all();
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  // On stop: a connection waiting for its next request is closed once its responses are written; one in the
  // middle of a request is left to finish.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_ || self->lingering_) self->finish();
    });
  }

 private:
  const TransportOptions& opt() const { return shared_->options; }

  void wait_for_request() {
    if (shared_->stopping.load() || closing_) return finish();
    if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
    idle_ = true;
    stream_.expires_after(requests_ == 0 ? opt().header_timeout : opt().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->idle_ = false;
      if (ec) return self->finish();
      self->buffer_.commit(n);
      self->read_header();
    });
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(opt().max_header_bytes));
    // No body limit while reading the headers: in Boost 1.74 a Content-Length over it fails the header read
    // itself, before the request (and its Origin) is known; and body_limit(none) compares as exceeded there.
    // The declared length is checked in on_header, the body itself in read_body.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(opt().header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit) return reject(400, "request headers too large");
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return finish();
    }
    if (ec) return reject(400, "malformed HTTP request");
    const auto& req = parser_->get();
    if (const auto length = parser_->content_length(); length && *length > opt().max_body_bytes) {
      return reject(413, "request body too large");
    }
    // RFC 9110 §10.1.1: a client sending "Expect: 100-continue" may wait for 100 before the body. The interim
    // response must not interleave with a response still being written, so it waits for the queue to drain.
    if (req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue")) {
      continue_pending_ = true;
      if (!writing_) send_continue();
    }
    read_body();
  }

  void send_continue() {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    continue_pending_ = false;
    writing_ = true;
    stream_.expires_after(opt().body_timeout);
    net::async_write(stream_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) return self->close();
      if (!self->queue_.empty()) self->write_next();
    });
  }

  void read_body() {
    parser_->body_limit(opt().max_body_bytes);  // also bounds a chunked body
    stream_.expires_after(opt().body_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec == http::error::body_limit) return self->reject(413, "request body too large");
      if (ec) return self->finish();
      self->process();
    });
  }

  HttpRequest make_request(bool with_body) {
    auto& req = parser_->get();
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& field : req) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (with_body) r.body = std::move(req.body());
    r.remote_address = remote_address_;
    r.remote_is_loopback = loopback_;
    return r;
  }

  void process() {
    ++requests_;
    continue_pending_ = false;  // the body is here: no interim response is due any more
    const bool keep_alive = parser_->get().keep_alive();
    const unsigned version = parser_->get().version();
    // The Handler may answer later from another thread; the answer comes back to this connection's strand.
    // Nothing more is read from the connection until then, so responses keep the order of the requests.
    shared_->handler.handle(make_request(true), [self = shared_from_this(), keep_alive, version](HttpResponse r) {
      net::post(self->stream_.get_executor(), [self, keep_alive, version, r = std::move(r)]() mutable {
        self->on_response(std::move(r), keep_alive, version);
      });
    });
  }

  void on_response(HttpResponse response, bool keep_alive, unsigned version) {
    const bool close_after = !keep_alive || requests_ >= opt().max_requests_per_connection || shared_->stopping.load();
    enqueue(to_beast(std::move(response), version, !close_after));
    if (close_after) {
      closing_ = true;
      return;
    }
    if (queue_.size() < opt().max_pipelined) {
      wait_for_request();
    } else {
      read_paused_ = true;  // reading resumes when the queue has room again (on_write)
    }
  }

  // A failure before a whole request exists: answer and close.
  void reject(int status, std::string_view message) {
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    HttpRequest partial = parser_ && parser_->is_header_done() ? make_request(false) : HttpRequest{};
    partial.remote_address = remote_address_;
    closing_ = true;
    enqueue(to_beast(shared_->handler.transport_error(status, message, partial), version, false));
  }

  void enqueue(std::shared_ptr<Response> res) {
    queue_.push_back(std::move(res));
    if (!writing_) write_next();
  }

  void write_next() {
    writing_ = true;
    auto res = queue_.front();
    stream_.expires_after(opt().body_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      self->on_write(ec, res->need_eof());
    });
  }

  void on_write(beast::error_code ec, bool need_eof) {
    writing_ = false;
    queue_.pop_front();
    if (ec) return close();
    if (need_eof) return linger_close();
    if (!queue_.empty()) {
      write_next();
    } else if (continue_pending_) {
      send_continue();
    } else if (closing_) {
      return close();
    }
    if (read_paused_ && !closing_ && queue_.size() < opt().max_pipelined) {
      read_paused_ = false;
      wait_for_request();
    }
  }

  // No more requests on this connection: close now, or once the responses still queued are written.
  void finish() {
    closing_ = true;
    if (!writing_ && queue_.empty()) close();
  }

  // After a final response the client may still be sending (e.g. the body of a rejected request): closing with
  // unread bytes would reset the connection and could discard the response before the client reads it. So stop
  // sending, discard what still arrives for a short while, then close.
  void linger_close() {
    if (closed_) return;
    lingering_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    discard_ = std::make_unique<char[]>(kDiscardBytes);
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(discard_.get(), kDiscardBytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || self->shared_->stopping.load()) return self->close();
                              self->drain();
                            });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<std::shared_ptr<Response>> queue_;
  std::string remote_address_;
  bool loopback_ = false;
  static constexpr std::size_t kDiscardBytes = 16384;
  std::unique_ptr<char[]> discard_;
  bool writing_ = false;
  bool read_paused_ = false;
  bool lingering_ = false;
  bool continue_pending_ = false;
  bool idle_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::size_t requests_ = 0;
};

class BeastTransport final : public Transport {
 public:
  BeastTransport(const TransportOptions& options, const Handler& handler)
      : shared_(std::make_shared<Shared>(options, handler)), acceptor_(net::make_strand(ioc_)) {}

  ~BeastTransport() override {
    if (!threads_.empty()) stop(std::chrono::milliseconds(0));
  }

  std::uint16_t start() override {
    const auto& o = shared_->options;
    tcp::endpoint endpoint(net::ip::make_address(o.address), o.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    const auto port = acceptor_.local_endpoint().port();
    accept();
    const unsigned n = o.threads != 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
    return port;
  }

  void stop(std::chrono::milliseconds grace) override {
    shared_->stopping.store(true);
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      accept_retry_.cancel();
    });
    std::vector<std::shared_ptr<Session>> live;
    {
      std::unique_lock lock(shared_->mutex);
      for (auto& [ptr, weak] : shared_->sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->close_if_idle();
    live.clear();
    {
      std::unique_lock lock(shared_->mutex);
      const bool drained =
          shared_->drained.wait_for(lock, grace, [this] { return shared_->sessions.empty(); });
      if (!drained) {
        log::write(log::Level::warn, "shutdown_grace_expired",
                   {{"open_connections", static_cast<std::int64_t>(shared_->sessions.size())}});
      }
    }
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  const char* name() const override { return "beast"; }

 private:
  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        admit(std::move(socket));
        return accept();
      }
      // Out of file descriptors or another transient failure: try again shortly rather than spin.
      log::write(log::Level::warn, "accept_failed", {{"reason", ec.message()}});
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](beast::error_code e) {
        if (!e && acceptor_.is_open()) accept();
      });
    });
  }

  void admit(tcp::socket socket) {
    bool over = false;
    {
      std::lock_guard lock(shared_->mutex);
      over = shared_->sessions.size() >= shared_->options.max_connections;
    }
    if (over) return reject_busy(std::move(socket));
    auto session = std::make_shared<Session>(std::move(socket), shared_);
    {
      std::lock_guard lock(shared_->mutex);
      shared_->sessions.emplace(session.get(), session);
    }
    session->start();
  }

  // Over the connection cap: a short 503 and close, never queued.
  void reject_busy(tcp::socket socket) {
    HttpRequest none;
    auto res = to_beast(shared_->handler.transport_error(503, "too many connections", none), 11, false);
    std::ostringstream out;
    out << *res;
    auto data = std::make_shared<std::string>(out.str());
    auto sock = std::make_shared<tcp::socket>(std::move(socket));
    net::async_write(*sock, net::buffer(*data), [sock, data](beast::error_code, std::size_t) {
      beast::error_code ec;
      sock->shutdown(tcp::socket::shutdown_both, ec);
      sock->close(ec);
    });
  }

  net::io_context ioc_;
  std::shared_ptr<Shared> shared_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_{acceptor_.get_executor()};
  std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<Transport> make_transport(const TransportOptions& options, const Handler& handler) {
  return std::make_unique<BeastTransport>(options, handler);
}

}  // namespace nmo::service
