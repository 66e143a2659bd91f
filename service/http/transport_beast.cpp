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
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "service/http/transport.hpp"
#include "service/ops/log.hpp"

namespace nmo::service::http {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// What the server needs of a connection, whatever its stream.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  virtual void start() = 0;
  virtual void close_if_idle() = 0;
};

// What sessions share with the server; sessions hold it by shared_ptr so it outlives them in any order.
struct Shared {
  TransportOptions options;
  const Handler& handler;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable drained;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;  // until destroyed: what stop() drains
  // Connections counted against the caps: from admission until closed (a client that went away while its
  // request was still being answered no longer counts, though its session lives until the answer comes).
  std::size_t open = 0;
  std::unordered_map<std::string, std::size_t> per_address;
  std::atomic<std::size_t> buffered_body_bytes{0};  // reserved by the requests whose bodies are being read

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


// A connection; Stream is beast::tcp_stream (plain HTTP) or beast::ssl_stream<beast::tcp_stream> (TLS).
template <class Stream>
class Session final : public SessionBase {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared, std::shared_ptr<ssl::context> tls)
      : tls_(std::move(tls)), stream_(make_stream(std::move(socket), tls_.get())), shared_(std::move(shared)) {
    boost::system::error_code ec;
    const auto remote = lowest().socket().remote_endpoint(ec);
    if (!ec) {
      remote_address_ = remote.address().to_string();
      const auto a = remote.address();
      loopback_ = a.is_loopback() || (a.is_v6() && a.to_v6().is_v4_mapped() &&
                                      net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).is_loopback());
    }
    lowest().socket().set_option(tcp::no_delay(true), ec);
  }

  ~Session() override {
    release_slot();
    release_body();
    std::lock_guard lock(shared_->mutex);
    shared_->sessions.erase(this);
    if (shared_->sessions.empty()) shared_->drained.notify_all();
  }

  void start() override {
    net::dispatch(stream_.get_executor(), [self = self_ptr()] {
      if constexpr (kTls) {
        self->lowest().expires_after(self->opt().header_timeout);
        self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) {
            ops::log::write(ops::log::Level::info, "tls_handshake_failed", {{"reason", ec.message()}});
            return self->close();
          }
          self->wait_for_request();
        });
      } else {
        self->wait_for_request();
      }
    });
  }

  // On stop: a connection waiting for its next request is closed once its responses are written; one in the
  // middle of a request is left to finish.
  void close_if_idle() override {
    net::post(stream_.get_executor(), [self = self_ptr()] {
      if (self->idle_ || self->lingering_) self->finish();
    });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  static Stream make_stream(tcp::socket&& socket, ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(beast::tcp_stream(std::move(socket)), *tls);
    } else {
      (void)tls;
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<Session> self_ptr() { return std::static_pointer_cast<Session>(shared_from_this()); }
  const TransportOptions& opt() const { return shared_->options; }

  void wait_for_request() {
    if (shared_->stopping.load() || closing_) return finish();
    if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
    idle_ = true;
    lowest().expires_after(requests_ == 0 ? opt().header_timeout : opt().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = self_ptr()](beast::error_code ec, std::size_t n) {
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
    lowest().expires_after(opt().header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = self_ptr()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit) return reject(400, "request headers too large");
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return finish();
    }
    if (ec) return reject(400, "malformed HTTP request");
    const auto& req = parser_->get();
    if (const char* problem = framing_problem(req)) return reject(400, problem);
    // The request as its headers say, taken now: chunked trailers, merged into the fields by Beast's parser,
    // are ignored for every purpose (RFC 9112 §7.1.2: "a recipient MUST NOT merge a trailer field into the header
    // section unless ... explicitly permitted"; none is).
    head_ = make_request(false);
    keep_alive_ = req.keep_alive();
    const auto length = parser_->content_length();
    if (length && *length > opt().max_body_bytes) return reject(413, "request body too large");
    // The memory all bodies being read may take together (issue 11 item 2): reserved up front, by the declared
    // length (a chunked body: the most it may be), released once the request is answered.
    if (!reserve_body(length ? static_cast<std::size_t>(*length) : req.chunked() ? opt().max_body_bytes : 0)) {
      return reject(503, "too many request bodies in progress; retry later");
    }
    const bool expect_continue = req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue");
    // The handler looks at the headers first (authentication): a refused request is answered without its body.
    awaiting_response_ = true;
    watch_peer();
    shared_->handler.check_head(head_, [self = self_ptr(), expect_continue](HeadDecision decision) {
      net::dispatch(self->stream_.get_executor(), [self, expect_continue, decision = std::move(decision)]() mutable {
        self->on_head_checked(std::move(decision), expect_continue);
      });
    });
  }

  void on_head_checked(HeadDecision decision, bool expect_continue) {
    awaiting_response_ = false;
    if (closed_) return;
    if (decision.refusal) {
      closing_ = true;
      return enqueue(to_beast(std::move(*decision.refusal), parser_->get().version(), false));
    }
    head_.grant = std::move(decision.grant);
    // RFC 9110 §10.1.1: a client sending "Expect: 100-continue" may wait for 100 before the body. The interim
    // response must not interleave with a response still being written, so it waits for the queue to drain.
    if (expect_continue) {
      continue_pending_ = true;
      if (!writing_) send_continue();
    }
    read_body();
  }

  bool reserve_body(std::size_t bytes) {
    if (bytes == 0) return true;
    const std::size_t before = shared_->buffered_body_bytes.fetch_add(bytes);
    if (before + bytes > opt().max_buffered_body_bytes) {
      shared_->buffered_body_bytes.fetch_sub(bytes);
      return false;
    }
    reserved_body_ = bytes;
    return true;
  }

  void release_body() {
    if (reserved_body_ == 0) return;
    shared_->buffered_body_bytes.fetch_sub(reserved_body_);
    reserved_body_ = 0;
  }

  void send_continue() {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    continue_pending_ = false;
    writing_ = true;
    lowest().expires_after(opt().body_timeout);
    net::async_write(stream_, net::buffer(kContinue), [self = self_ptr()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) return self->close();
      if (!self->queue_.empty()) self->write_next();
    });
  }

  void read_body() {
    parser_->body_limit(opt().max_body_bytes);  // also bounds a chunked body
    lowest().expires_after(opt().body_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = self_ptr()](beast::error_code ec, std::size_t) {
      if (ec == http::error::body_limit) return self->reject(413, "request body too large");
      if (ec) return self->finish();
      self->process();
    });
  }

  // RFC 9112: the framing this service accepts. Transfer-Encoding only as exactly `chunked` (§6.1: anything
  // else cannot be framed by a server that decodes no other coding, and a body left unread would run as a second
  // request); exactly one Host in HTTP/1.1 (§3.2), at most one in HTTP/1.0. Beast has refused CL with TE and two
  // differing Content-Lengths already.
  static const char* framing_problem(const http::request<http::string_body>& req) {
    std::size_t hosts = 0;
    std::size_t codings = 0;
    for (const auto& field : req) {
      if (field.name() == http::field::host) ++hosts;
      if (field.name() == http::field::transfer_encoding) {
        ++codings;
        beast::string_view value = field.value();
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        if (!beast::iequals(value, "chunked")) return "unsupported Transfer-Encoding";
      }
    }
    if (codings > 1) return "unsupported Transfer-Encoding";
    if (hosts > 1 || (hosts == 0 && req.version() >= 11)) return "exactly one Host header is required";
    return nullptr;
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
    const bool keep_alive = keep_alive_;
    const unsigned version = parser_->get().version();
    HttpRequest request = std::move(head_);
    request.body = std::move(parser_->get().body());
    awaiting_response_ = true;
    watch_peer();
    // The Handler may answer later from another thread; the answer comes back to this connection's strand.
    // Nothing more is read from the connection until then, so responses keep the order of the requests.
    shared_->handler.handle(std::move(request), [self = self_ptr(), keep_alive, version](HttpResponse r) {
      net::post(self->stream_.get_executor(), [self, keep_alive, version, r = std::move(r)]() mutable {
        self->on_response(std::move(r), keep_alive, version);
      });
    });
  }

  // While the handler looks at a request (its headers, or the whole of it) nothing is read, so a client that
  // disconnects would hold its connection slot until the answer (issue 11 item 1: for ever, behind a wedged jku
  // fetch). Watch the socket: end of stream or an error closes the connection and frees its slot at once. Bytes
  // that arrive (the body, a pipelined request, TLS records) are left for later, and the watch ends.
  void watch_peer() {
    lowest().socket().async_wait(tcp::socket::wait_read, [self = self_ptr()](beast::error_code ec) {
      if (ec || !self->awaiting_response_ || self->closed_) return;
      char byte = 0;
      const auto n = ::recv(self->lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        ops::log::write(ops::log::Level::info, "client_gone", {{"while", "awaiting the response"}});
        self->closing_ = true;
        self->close();
      } else if (n < 0) {
        self->watch_peer();
      }
    });
  }

  void on_response(HttpResponse response, bool keep_alive, unsigned version) {
    awaiting_response_ = false;
    release_body();
    if (closed_) return;
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
    lowest().expires_after(opt().body_timeout);
    http::async_write(stream_, *res, [self = self_ptr(), res](beast::error_code ec, std::size_t) {
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
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().expires_after(std::chrono::seconds(2));
    discard_ = std::make_unique<char[]>(kDiscardBytes);
    drain();
  }

  void drain() {
    lowest().async_read_some(net::buffer(discard_.get(), kDiscardBytes),
                            [self = self_ptr()](beast::error_code ec, std::size_t) {
                              if (ec || self->shared_->stopping.load()) return self->close();
                              self->drain();
                            });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().socket().close(ec);
    release_slot();
    release_body();
  }

  // This connection no longer counts against the connection caps.
  void release_slot() {
    if (!counted_) return;
    counted_ = false;
    std::lock_guard lock(shared_->mutex);
    --shared_->open;
    if (auto it = shared_->per_address.find(remote_address_); it != shared_->per_address.end() && --it->second == 0) {
      shared_->per_address.erase(it);
    }
  }

  std::shared_ptr<ssl::context> tls_;  // kept alive for this connection across certificate reloads
  Stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest head_;  // the request line and headers of the request being read, taken before any trailer
  bool keep_alive_ = true;
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
  bool awaiting_response_ = false;
  bool counted_ = true;  // admit() counted this connection in Shared::open and per_address
  std::size_t reserved_body_ = 0;  // of Shared::buffered_body_bytes
  std::size_t requests_ = 0;
};

// Mozilla "intermediate" TLS 1.2 suites (forward secrecy, AEAD only); TLS 1.3 keeps OpenSSL's default suites.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// CDS Hooks 2.0 §5: "Everything over HTTPS; mutual TLS optional". TLS 1.2 minimum with 1.3 enabled (tls_server,
// not tlsv12, which would pin 1.2). Throws std::runtime_error naming the file at fault; an expired certificate is
// refused so a reload never swaps a working certificate for a dead one.
std::shared_ptr<ssl::context> make_tls_context(const TransportOptions& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                             SSL_OP_NO_TICKET);
  // No resumption at all (issue 11 item 11): no TLS 1.3 tickets and no session cache, so there is no ticket key
  // to rotate and no session state to bound; a full handshake costs one ECDHE and one signature.
  SSL_CTX_set_num_tickets(c, 0);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1) throw std::runtime_error("TLS cipher list refused");
  if (SSL_CTX_use_certificate_chain_file(c, o.tls_certificate_file.c_str()) != 1) {
    throw std::runtime_error("cannot load the TLS certificate chain " + o.tls_certificate_file);
  }
  if (SSL_CTX_use_PrivateKey_file(c, o.tls_private_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(c) != 1) {
    throw std::runtime_error("cannot load the TLS private key " + o.tls_private_key_file +
                             " (or it does not match the certificate)");
  }
  X509* cert = SSL_CTX_get0_certificate(c);
  if (cert == nullptr || X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
    throw std::runtime_error("the TLS certificate " + o.tls_certificate_file + " has expired");
  }
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0) {
    throw std::runtime_error("the TLS certificate " + o.tls_certificate_file + " is not valid yet");
  }
  if (!o.tls_client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, o.tls_client_ca_file.c_str(), nullptr) != 1) {
      throw std::runtime_error("cannot load the TLS client CA file " + o.tls_client_ca_file);
    }
    SSL_CTX_set_client_CA_list(c, SSL_load_client_CA_file(o.tls_client_ca_file.c_str()));
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

class BeastTransport final : public Transport {
 public:
  BeastTransport(const TransportOptions& options, const Handler& handler)
      : shared_(std::make_shared<Shared>(options, handler)), acceptor_(net::make_strand(ioc_)) {}

  ~BeastTransport() override {
    if (!threads_.empty()) stop(std::chrono::milliseconds(0));
  }

  std::uint16_t start() override {
    const auto& o = shared_->options;
    if (!o.tls_certificate_file.empty()) tls_ = make_tls_context(o);
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
    std::vector<std::shared_ptr<SessionBase>> live;
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
        ops::log::write(ops::log::Level::warn, "shutdown_grace_expired",
                   {{"open_connections", static_cast<std::int64_t>(shared_->sessions.size())}});
      }
    }
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  const char* name() const override { return "beast"; }

  bool tls() const override { return !shared_->options.tls_certificate_file.empty(); }

  void reload_tls() override {
    if (shared_->options.tls_certificate_file.empty()) return;
    auto fresh = make_tls_context(shared_->options);  // throws: the old context stays
    std::lock_guard lock(tls_mutex_);
    tls_ = std::move(fresh);
  }

 private:
  std::shared_ptr<ssl::context> current_tls() {
    std::lock_guard lock(tls_mutex_);
    return tls_;
  }

  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        admit(std::move(socket));
        return accept();
      }
      // Out of file descriptors or another transient failure: try again shortly rather than spin.
      ops::log::write(ops::log::Level::warn, "accept_failed", {{"reason", ec.message()}});
      accept_retry_.expires_after(std::chrono::milliseconds(50));
      accept_retry_.async_wait([this](beast::error_code e) {
        if (!e && acceptor_.is_open()) accept();
      });
    });
  }

  void admit(tcp::socket socket) {
    beast::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    const std::string address = ec ? std::string() : remote.address().to_string();
    const char* over = nullptr;
    {
      const auto& o = shared_->options;
      std::lock_guard lock(shared_->mutex);
      const auto it = shared_->per_address.find(address);
      if (shared_->open >= o.max_connections) {
        over = "too many connections";
      } else if (o.max_connections_per_address != 0 && it != shared_->per_address.end() &&
                 it->second >= o.max_connections_per_address) {
        over = "too many connections from this address";
      } else {
        ++shared_->open;
        ++shared_->per_address[address];
      }
    }
    if (over != nullptr) return reject_busy(std::move(socket), over);
    std::shared_ptr<SessionBase> session;
    std::shared_ptr<ssl::context> tls = current_tls();
    if (tls) {
      session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), shared_, tls);
    } else {
      session = std::make_shared<Session<beast::tcp_stream>>(std::move(socket), shared_, nullptr);
    }
    {
      std::lock_guard lock(shared_->mutex);
      shared_->sessions.emplace(session.get(), session);
    }
    session->start();
  }

  // Over the connection cap: a short 503 and close, never queued.
  void reject_busy(tcp::socket socket, const char* why) {
    HttpRequest none;
    auto res = to_beast(shared_->handler.transport_error(503, why, none), 11, false);
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
  std::mutex tls_mutex_;
  std::shared_ptr<ssl::context> tls_;  // null: plain HTTP
};

}  // namespace

std::unique_ptr<Transport> make_transport(const TransportOptions& options, const Handler& handler) {
  return std::make_unique<BeastTransport>(options, handler);
}

}  // namespace nmo::service::http
