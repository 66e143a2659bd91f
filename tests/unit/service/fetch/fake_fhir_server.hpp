#pragma once
// An in-test FHIR server for the client and gather tests: Boost.Beast, synchronous, one thread per connection, on
// 127.0.0.1 with an ephemeral port. Each request is answered by a test-given function, which may delay, fail or
// lie; the server records what it received. Stopped (and joined) by the destructor.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

namespace nmo::test {

struct FakeRequest {
  std::string target;
  std::string authorization;
  std::string accept;
  std::string host;
  std::string raw;  // the request head exactly as received
};

struct FakeReply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // before answering
  bool close = false;                  // close the connection after answering (without "Connection: close")
  std::string before;                  // raw bytes sent just before the response (e.g. 1xx interim responses)
  std::string after;                   // raw bytes sent just after it, in the same write (e.g. an extra response)
};

class FakeFhirServer {
 public:
  using Handler = std::function<FakeReply(const FakeRequest&)>;
  explicit FakeFhirServer(Handler handler);
  ~FakeFhirServer();
  FakeFhirServer(const FakeFhirServer&) = delete;
  FakeFhirServer& operator=(const FakeFhirServer&) = delete;

  std::uint16_t port() const { return port_; }
  /// "http://127.0.0.1:PORT"
  std::string base() const;
  std::vector<FakeRequest> requests() const;
  std::size_t connections() const { return connections_.load(); }
  /// Every byte received on every connection, in order of arrival per connection.
  std::string received() const;

 private:
  void accept_loop();
  void serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket);

  Handler handler_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  mutable std::mutex mutex_;
  std::vector<FakeRequest> requests_;
  std::string received_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::thread acceptor_thread_;
};

/// A searchset Bundle of `n` Conditions (ids prefix-0…), with a `next` link when `next` is not empty.
std::string condition_bundle(int n, const std::string& prefix, const std::string& next = {});
/// A complete raw HTTP/1.1 response with a JSON body (for FakeReply::before / after).
std::string raw_response(int status, const std::string& body);

}  // namespace nmo::test
