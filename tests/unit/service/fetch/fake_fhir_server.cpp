#include "tests/unit/service/fetch/fake_fhir_server.hpp"

#include <sstream>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace nmo::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

FakeFhirServer::FakeFhirServer(Handler handler)
    : handler_(std::move(handler)), acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  acceptor_thread_ = std::thread([this] { accept_loop(); });
}

FakeFhirServer::~FakeFhirServer() {
  stopping_ = true;
  boost::system::error_code ec;
  // Wake the blocking accept with a connection of our own, then close everything.
  {
    tcp::socket wake(ioc_);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  }
  acceptor_thread_.join();
  acceptor_.close(ec);
  {
    std::lock_guard lock(mutex_);
    for (auto& s : sockets_) s->shutdown(tcp::socket::shutdown_both, ec);
  }
  for (auto& t : threads_) t.join();
}

std::string FakeFhirServer::base() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<FakeRequest> FakeFhirServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FakeFhirServer::accept_loop() {
  while (!stopping_) {
    auto socket = std::make_shared<tcp::socket>(ioc_);
    boost::system::error_code ec;
    acceptor_.accept(*socket, ec);
    if (ec || stopping_) return;
    ++connections_;
    std::lock_guard lock(mutex_);
    sockets_.push_back(socket);
    threads_.emplace_back([this, socket] { serve(socket); });
  }
}

std::string FakeFhirServer::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

// Request heads are read as raw bytes (GET has no body) so that the test sees exactly what arrived, smuggled
// lines included; then parsed.
void FakeFhirServer::serve(std::shared_ptr<tcp::socket> socket) {
  std::string pending;
  for (;;) {
    boost::system::error_code ec;
    const std::size_t head = asio::read_until(*socket, asio::dynamic_buffer(pending), "\r\n\r\n", ec);
    if (ec) return;
    const std::string raw = pending.substr(0, head);
    pending.erase(0, head);
    {
      std::lock_guard lock(mutex_);
      received_ += raw;
    }
    http::request_parser<http::empty_body> parser;
    parser.eager(true);
    parser.put(asio::buffer(raw), ec);
    if (ec) return;
    const auto& req = parser.get();
    FakeRequest seen{std::string(req.target()), std::string(req[http::field::authorization]),
                     std::string(req[http::field::accept]), std::string(req[http::field::host]), raw};
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(seen);
    }
    FakeReply reply = handler_(seen);
    for (auto waited = std::chrono::milliseconds(0); waited < reply.delay && !stopping_;
         waited += std::chrono::milliseconds(10)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    res.set(http::field::content_type, "application/fhir+json");
    for (const auto& [name, value] : reply.headers) res.set(name, value);
    res.body() = std::move(reply.body);
    res.keep_alive(req.keep_alive());  // a `close` reply closes without announcing it
    res.prepare_payload();
    std::ostringstream out;
    out << res;
    asio::write(*socket, asio::buffer(reply.before + out.str() + reply.after), ec);
    if (ec || reply.close) {
      socket->shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
  }
}

std::string raw_response(int status, const std::string& body) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/fhir+json");
  res.body() = body;
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  return out.str();
}

std::string condition_bundle(int n, const std::string& prefix, const std::string& next) {
  std::string body = R"({"resourceType":"Bundle","type":"searchset","entry":[)";
  for (int i = 0; i < n; ++i) {
    body += (i ? "," : "") + std::string(R"({"resource":{"resourceType":"Condition","id":")") + prefix + "-" +
            std::to_string(i) +
            R"(","subject":{"reference":"Patient/pat"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"25044007"}]}}})";
  }
  body += "]";
  if (!next.empty()) body += R"(,"link":[{"relation":"next","url":")" + next + R"("}])";
  return body + "}";
}

}  // namespace nmo::test
