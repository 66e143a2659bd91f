// The FHIR client over HTTPS: certificate verification against the configured trust anchors, hostname (or IP)
// verification and SNI. The test generates its own CA-less self-signed certificates (no key is committed) with
// the openssl command line, and serves them from a one-connection-at-a-time TLS server on 127.0.0.1.
#include "service/fetch/fhir_client.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/unit/service/fetch/fake_fhir_server.hpp"

using nmo::service::fetch::FetchResult;
using nmo::service::fetch::FhirClient;
using nmo::service::fetch::FhirClientOptions;
using Error = FetchResult::Error;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

namespace {

// A self-signed certificate and key in a private temporary directory, removed afterwards.
struct Certificate {
  fs::path dir;
  std::string cert, key;
  explicit Certificate(const std::string& subject_alt_names) {
    char tmpl[] = "/tmp/nmo-tls-XXXXXX";
    BOOST_REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
                            "/CN=nmo-test -addext subjectAltName=" + subject_alt_names + " -keyout " + key +
                            " -out " + cert + " >/dev/null 2>&1";
    BOOST_REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "openssl req failed: " + cmd);
  }
  ~Certificate() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// Answers every request with one Condition Bundle; records the SNI name of each handshake.
class TlsServer {
 public:
  explicit TlsServer(const Certificate& c)
      : ctx_(ssl::context::tls_server), acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    ctx_.use_certificate_chain_file(c.cert);
    ctx_.use_private_key_file(c.key, ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }
  ~TlsServer() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket wake(ioc_);
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::string sni() const {
    std::lock_guard lock(mutex_);
    return sni_;
  }

 private:
  void run() {
    while (!stopping_) {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      ssl::stream<tcp::socket> stream(std::move(socket), ctx_);
      stream.handshake(ssl::stream_base::server, ec);
      if (const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
        std::lock_guard lock(mutex_);
        sni_ = name;
      }
      if (ec) continue;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(stream, buffer, req, ec);
      if (ec) continue;
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/fhir+json");
      res.body() = nmo::test::condition_bundle(1, "tls");
      res.keep_alive(false);
      res.prepare_payload();
      http::write(stream, res, ec);
      stream.shutdown(ec);
    }
  }

  asio::io_context ioc_;
  ssl::context ctx_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::string sni_;
  std::thread thread_;
};

FetchResult fetch(FhirClient& client, const std::string& url) {
  std::promise<FetchResult> promise;
  auto future = promise.get_future();
  client.get(url, url, "tok", 3000ms, std::chrono::steady_clock::now() + 3000ms,
             [&promise](FetchResult r) { promise.set_value(std::move(r)); });
  BOOST_REQUIRE(future.wait_for(30s) == std::future_status::ready);
  return future.get();
}

FhirClientOptions trusting(const Certificate& c) {
  FhirClientOptions o;
  o.ca_file = c.cert;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_client_tls)

BOOST_AUTO_TEST_CASE(a_trusted_certificate_for_the_host_name_is_accepted_and_sni_is_sent) {
  Certificate cert("DNS:localhost");
  TlsServer server(cert);
  FhirClient client(trusting(cert));
  auto r = fetch(client, "https://localhost:" + std::to_string(server.port()) + "/fhir/Condition");
  BOOST_TEST(r.ok(), r.message);
  BOOST_TEST(r.pages.size() == 1u);
  BOOST_TEST(server.sni() == "localhost");
}

BOOST_AUTO_TEST_CASE(a_trusted_certificate_for_the_ip_address_is_accepted) {
  Certificate cert("IP:127.0.0.1");
  TlsServer server(cert);
  FhirClient client(trusting(cert));
  BOOST_TEST(fetch(client, "https://127.0.0.1:" + std::to_string(server.port()) + "/fhir/Condition").ok());
}

BOOST_AUTO_TEST_CASE(a_trusted_certificate_for_another_host_name_is_refused) {
  Certificate cert("DNS:fhir.example.org");
  TlsServer server(cert);
  FhirClient client(trusting(cert));
  auto r = fetch(client, "https://localhost:" + std::to_string(server.port()) + "/fhir/Condition");
  BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::tls));
}

BOOST_AUTO_TEST_CASE(a_certificate_outside_the_system_trust_store_is_refused) {
  Certificate cert("DNS:localhost");
  TlsServer server(cert);
  FhirClient client({});
  auto r = fetch(client, "https://localhost:" + std::to_string(server.port()) + "/fhir/Condition");
  BOOST_TEST(static_cast<int>(r.error) == static_cast<int>(Error::tls));
}

BOOST_AUTO_TEST_SUITE_END()
