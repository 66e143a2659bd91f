// CDS Hooks 2.0 §Trusting CDS Clients through the real binary (issue 5, items 1, 3 and 7): the shipped
// production configuration (config/production.json) with the test's own issuer, keys generated here.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_keys.hpp"

using namespace nmo::test;

namespace {

const std::string kBase = "https://cds.test";  // as seen through the proxy: aud is built from this
const std::string kIss = "https://ehr.test";
const std::string kJku = "http://127.0.0.1:9/jwks.json";
const std::string kPatient = "Patient-7f3a9c21-b8d4";

const TestKey& ec_key() {
  static const TestKey k = TestKey::ec("P-384", "ec-1");
  return k;
}
const TestKey& rsa_key() {
  static const TestKey k = TestKey::rsa(2048, "rsa-1");
  return k;
}

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int jti_counter = 0;

TokenSpec spec(const std::string& path, const std::string& alg = "ES384") {
  TokenSpec s;
  s.alg = alg;
  s.iss = kIss;
  s.aud = kBase + path;
  s.iat = now();
  s.exp = s.iat + 300;
  s.jti = "jti-" + std::to_string(++jti_counter) + "-" + std::to_string(s.iat);
  return s;
}

HttpRequest with_token(HttpRequest r, const std::string& token) {
  r.headers.emplace_back("Authorization", "Bearer " + token);
  return r;
}

const char* kService = "/cds-services/nmosd-patient-view";

std::string patient_view_body() {
  return edit_json(read_fixture("requests/patient-view-empty-chart.json"), [](rapidjson::Document& d) {
    d["context"]["patientId"].SetString(kPatient.c_str(), d.GetAllocator());
    d["prefetch"]["patient"]["id"].SetString(kPatient.c_str(), d.GetAllocator());
  });
}

ServerConfig production(const TempDir& dir) {
  dir.write("keys.json", jwks({ec_key().jwk(), rsa_key().jwk()}));
  ServerConfig c;
  c.config_file = source_dir() + "/config/production.json";
  (void)dir.write("issuers.json",
                  R"({"issuers":[{"iss":")" + kIss + R"(","jwks_file":"keys.json","jku":[")" + kJku + R"("]}]})");
  return c;
}

std::vector<std::string> production_env(const TempDir& dir) {
  return {"NMO_LISTEN_PORT=0", "NMO_PUBLIC_BASE_URL=" + kBase, "NMO_AUTH_ISSUERS_FILE=" + dir.path() + "/issuers.json",
          "NMO_CORS_ALLOWED_ORIGINS=*"};
}

struct ProductionServer {
  TempDir dir;
  ServerProcess server{production(dir), production_env(dir)};

  HttpResponse call(const std::string& token, const std::string& path = kService) {
    HttpRequest r = path == "/cds-services" ? get(path) : post_json(path, patient_view_body());
    if (path.size() > 9 && path.substr(path.size() - 9) == "/feedback") {
      r = post_json(path,
                    R"({"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2026-11-24T10:00:00Z"}]})");
    }
    return exchange(server.port(), token.empty() ? r : with_token(r, token));
  }
  void expect_401(const std::string& token, const std::string& path = kService) {
    const auto r = call(token, path);
    BOOST_CHECK_EQUAL(r.status, 401);
    // A bare 401: nothing says which check failed.
    BOOST_CHECK(r.body.find("diagnostics") == std::string::npos);
    BOOST_CHECK(r.body.find("expression") == std::string::npos);
  }
};

std::string forge(const std::string& header, const std::string& payload_json, const std::string& sig) {
  return b64url(header) + "." + b64url(payload_json) + "." + b64url(sig);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(auth, ProductionServer, *boost::unit_test::enable_if<!kCpprest>())

BOOST_AUTO_TEST_CASE(valid_es384_token_is_accepted_on_discovery_service_and_feedback) {
  BOOST_CHECK_EQUAL(call(ec_key().token(spec("/cds-services")), "/cds-services").status, 200);
  const auto r = call(ec_key().token(spec(kService)));
  BOOST_CHECK_EQUAL(r.status, 200);
  check_cards_response(r);
  const std::string fb = std::string(kService) + "/feedback";
  BOOST_CHECK_EQUAL(call(ec_key().token(spec(fb)), fb).status, 200);
}

BOOST_AUTO_TEST_CASE(valid_rs384_token_is_accepted) {
  BOOST_CHECK_EQUAL(call(rsa_key().token(spec(kService, "RS384"))).status, 200);
  BOOST_CHECK_EQUAL(call(rsa_key().token(spec("/cds-services", "RS384")), "/cds-services").status, 200);
}

BOOST_AUTO_TEST_CASE(aud_as_one_element_array_is_accepted) {
  auto s = spec(kService);
  s.aud_as_array = true;
  BOOST_CHECK_EQUAL(call(ec_key().token(s)).status, 200);
}

BOOST_AUTO_TEST_CASE(no_authorization_header_is_refused_in_production_even_from_loopback) {
  expect_401("");
  expect_401("", "/cds-services");
  expect_401("", std::string(kService) + "/feedback");
}

BOOST_AUTO_TEST_CASE(alg_none_is_refused) {
  const auto s = spec(kService);
  expect_401(forge(R"({"alg":"none","typ":"JWT","kid":"ec-1"})", token_payload_json(s), ""));
  expect_401(b64url(R"({"alg":"none","typ":"JWT","kid":"ec-1"})") + "." + b64url(token_payload_json(s)) + ".");
}

BOOST_AUTO_TEST_CASE(hs256_is_refused) {
  // An HMAC "signed" with the public key's JWK text, the classic algorithm-confusion attack.
  const auto s = spec(kService);
  expect_401(forge(R"({"alg":"HS256","typ":"JWT","kid":"ec-1"})", token_payload_json(s), std::string(32, 'k')));
}

BOOST_AUTO_TEST_CASE(expired_token_is_refused) {
  auto s = spec(kService);
  s.iat = now() - 900;
  s.exp = now() - 600;
  expect_401(ec_key().token(s));
}

BOOST_AUTO_TEST_CASE(iat_in_the_future_is_refused) {
  auto s = spec(kService);
  s.iat = now() + 600;
  s.exp = now() + 900;
  expect_401(ec_key().token(s));
}

BOOST_AUTO_TEST_CASE(wrong_audience_is_refused) {
  expect_401(ec_key().token(spec("/cds-services/nmosd-order-sign")));
  auto s = spec(kService);
  s.aud = "http://127.0.0.1" + std::string(kService);  // the listening address, not the public URL
  expect_401(ec_key().token(s));
}

BOOST_AUTO_TEST_CASE(unknown_issuer_is_refused) {
  auto s = spec(kService);
  s.iss = "https://sandbox.cds-hooks.org";  // the public sandbox is never trusted in production
  expect_401(ec_key().token(s));
}

BOOST_AUTO_TEST_CASE(jku_not_on_the_allowlist_is_refused) {
  auto s = spec(kService);
  s.jku = "https://attacker.test/jwks.json";
  expect_401(ec_key().token(s));
}

BOOST_AUTO_TEST_CASE(unknown_kid_is_refused) {
  auto s = spec(kService);
  s.kid = "not-a-known-kid";
  expect_401(ec_key().token(s));
}

BOOST_AUTO_TEST_CASE(bad_signature_is_refused) {
  // Same kid as a trusted key, signed by another key.
  const TestKey impostor = TestKey::ec("P-384", "ec-1");
  expect_401(impostor.token(spec(kService)));
  const std::string t = ec_key().token(spec(kService));
  std::string flipped = t;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  expect_401(flipped);
}

BOOST_AUTO_TEST_CASE(replayed_jti_is_refused) {
  const std::string t = ec_key().token(spec(kService));
  BOOST_CHECK_EQUAL(call(t).status, 200);
  expect_401(t);
}

BOOST_AUTO_TEST_CASE(malformed_tokens_are_refused) {
  for (const std::string t : {"x", "a.b", "a.b.c", "....", "e30.e30.e30"}) expect_401(t);
  const auto r = exchange(server.port(), with_token(get("/cds-services"), ""));
  BOOST_CHECK_EQUAL(r.status, 401);
  HttpRequest basic = get("/cds-services");
  basic.headers.emplace_back("Authorization", "Basic dXNlcjpwYXNz");
  BOOST_CHECK_EQUAL(exchange(server.port(), basic).status, 401);
}

// Issue 11 item 2: authentication needs only the headers; 64 stalled unauthenticated 8 MiB uploads pinned 513 MiB.
BOOST_AUTO_TEST_CASE(an_unauthenticated_upload_is_refused_on_its_headers_without_reading_the_body) {
  for (const std::string& auth : {std::string(), std::string("Authorization: Bearer x.y.z\r\n")}) {
    auto c = ClientConnection::open(server.port());
    BOOST_REQUIRE(c.send("POST " + std::string(kService) +
                         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + auth +
                         "Content-Length: 8000000\r\n\r\n{\"hook\":"));
    // The body never comes: the 401 is answered on the headers alone.
    const auto r = c.try_read_response(std::chrono::seconds(8));
    BOOST_REQUIRE_MESSAGE(r.has_value(), "no answer before the body was sent");
    BOOST_CHECK_EQUAL(r->status, 401);
  }
  // Expect: 100-continue: no 100 for an unauthenticated call, the 401 instead.
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send("POST " + std::string(kService) +
                       " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Expect: 100-continue\r\nContent-Length: 1000\r\n\r\n"));
  const auto r = c.try_read_response(std::chrono::seconds(8));
  BOOST_REQUIRE(r.has_value());
  BOOST_CHECK_EQUAL(r->status, 401);
  // An authenticated call is verified once (its jti is not taken for a replay of itself).
  BOOST_CHECK_EQUAL(call(ec_key().token(spec(kService))).status, 200);
}

// Issue 11 item 8: a token sent only in a chunked trailer authenticated.
BOOST_AUTO_TEST_CASE(a_token_in_a_chunked_trailer_does_not_authenticate,
                     *boost::unit_test::enable_if<kHasConnectionPolicy>()) {
  const std::string body = patient_view_body();
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  const std::string head = "POST " + std::string(kService) +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n";
  const std::string trailer = "Authorization: Bearer " + ec_key().token(spec(kService)) + "\r\n\r\n";
  auto c = ClientConnection::open(server.port());
  BOOST_REQUIRE(c.send(head + size + body + "\r\n0\r\n" + trailer));
  BOOST_CHECK_EQUAL(c.read_response().status, 401);
  // The same token in the headers is accepted (so the 401 above was the trailer's doing).
  auto c2 = ClientConnection::open(server.port());
  BOOST_REQUIRE(c2.send("POST " + std::string(kService) +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        "Authorization: Bearer " + ec_key().token(spec(kService)) +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n" + size + body + "\r\n0\r\n\r\n"));
  BOOST_CHECK_EQUAL(c2.read_response().status, 200);
}

BOOST_AUTO_TEST_CASE(preflight_and_health_need_no_token) {
  HttpRequest options = with_origin(get(kService));
  options.method = "OPTIONS";
  options.headers.emplace_back("Access-Control-Request-Method", "POST");
  BOOST_CHECK_EQUAL(exchange(server.port(), options).status, 204);
  BOOST_CHECK_EQUAL(exchange(server.port(), get("/healthz")).status, 200);
  BOOST_CHECK_EQUAL(exchange(server.port(), get("/readyz")).status, 200);
}

BOOST_AUTO_TEST_CASE(refusals_carry_cors_headers_so_the_browser_sees_the_401) {
  const auto r = exchange(server.port(), with_origin(post_json(kService, patient_view_body())));
  BOOST_CHECK_EQUAL(r.status, 401);
  BOOST_CHECK_EQUAL(r.header("access-control-allow-origin"), "*");
}

BOOST_AUTO_TEST_CASE(log_names_the_reason_but_never_the_token_or_the_patient) {
  const std::string good = ec_key().token(spec(kService));
  BOOST_CHECK_EQUAL(call(good).status, 200);
  auto s = spec(kService);
  s.kid = "not-a-known-kid";
  const std::string bad = ec_key().token(s);
  expect_401(bad);
  expect_401(good);  // replayed
  server.send_signal(SIGTERM);
  BOOST_REQUIRE(server.wait_exit(std::chrono::seconds(15)).has_value());
  const std::string log = server.output();
  BOOST_CHECK(log.find("\"reason\":\"unknown_kid\"") != std::string::npos);
  BOOST_CHECK(log.find("\"reason\":\"replayed\"") != std::string::npos);
  for (const std::string& secret : {good, bad}) {
    for (const std::string& part : {secret.substr(0, secret.find('.')), secret.substr(secret.find('.') + 1, 40),
                                    secret.substr(secret.rfind('.') + 1)}) {
      BOOST_CHECK_MESSAGE(log.find(part) == std::string::npos, "a token part is in the log");
    }
  }
  BOOST_CHECK_MESSAGE(log.find(kPatient) == std::string::npos, "the patient id is in the log");
  BOOST_CHECK(log.find("jti-") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

struct DevelopmentServer {
  TempDir dir;
  ServerProcess server{[] {
                         ServerConfig c;
                         c.config_file = source_dir() + "/config/service.json";
                         return c;
                       }(),
                       {"NMO_LISTEN_PORT=0"}};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(auth_development, DevelopmentServer)

BOOST_AUTO_TEST_CASE(shipped_development_config_accepts_unsigned_loopback_calls_with_a_warning) {
  BOOST_CHECK_EQUAL(exchange(server.port(), get("/cds-services")).status, 200);
  server.send_signal(SIGTERM);
  BOOST_REQUIRE(server.wait_exit(std::chrono::seconds(15)).has_value());
  const std::string log = server.output();
  BOOST_CHECK(log.find("\"event\":\"auth_development_mode\"") != std::string::npos);
  BOOST_CHECK(log.find("\"event\":\"unsigned_call\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(development_mode_still_verifies_a_token_that_is_sent) {
  // Signed by a key that is not the sandbox's, with the sandbox's kid.
  TokenSpec s;
  s.iss = "https://sandbox.cds-hooks.org";
  s.kid = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f";
  s.jku = "https://sandbox.cds-hooks.org/.well-known/jwks.json";
  s.aud = "http://localhost:8080/cds-services";  // the development config's public_base_url
  s.iat = now();
  s.exp = s.iat + 300;
  const auto r = exchange(server.port(), with_token(get("/cds-services"), ec_key().token(s)));
  BOOST_CHECK_EQUAL(r.status, 401);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// A one-route HTTP server on 127.0.0.1 serving a JWK Set, for the jku fetch (loopback http is allowlistable).
class JwksServer {
 public:
  explicit JwksServer(std::string body) : body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_REQUIRE(::listen(fd_, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[4096];
        (void)::read(c, buf, sizeof buf);
        ++served_;
        const std::string r =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body_.size()) +
            "\r\nConnection: close\r\n\r\n" + body_;
        (void)::write(c, r.data(), r.size());
        ::close(c);
      }
    });
  }
  ~JwksServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/jwks.json"; }
  int served() const { return served_.load(); }

 private:
  std::string body_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> served_{0};
  std::thread thread_;
};

// A TCP listener on 127.0.0.1 that never accepts: connections complete in the kernel, then nothing is said.
struct SilentJkuServer {
  int fd = -1;
  std::uint16_t port = 0;
  SilentJkuServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_REQUIRE(::listen(fd, 64) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~SilentJkuServer() { ::close(fd); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/jwks.json"; }
};

struct SilentJkuProduction {
  SilentJkuServer silent;
  TempDir dir;
  ServerConfig config() const {
    dir.write("keys.json", jwks({ec_key().jwk()}));
    ServerConfig c;
    c.config_file = source_dir() + "/config/production.json";
    (void)dir.write("issuers.json", R"({"issuers":[{"iss":")" + kIss + R"(","jwks_file":"keys.json","jku":[")" +
                                        silent.url() + R"("]}]})");
    return c;
  }
  std::vector<std::string> env(const std::string& fetch_timeout_ms, const std::string& max_connections) const {
    auto e = production_env(dir);
    e.push_back("NMO_AUTH_JWKS_FETCH_TIMEOUT_MS=" + fetch_timeout_ms);
    e.push_back("NMO_LIMITS_MAX_CONNECTIONS=" + max_connections);
    return e;
  }
  std::string keyless_token() const {
    auto s = spec(kService);
    s.kid = "made-up-kid-" + std::to_string(jti_counter);
    s.jku = silent.url();
    return ec_key().token(s);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_jku, *boost::unit_test::enable_if<!kCpprest>())

// Issue 11 item 1: a jku server that accepted and stayed silent wedged the fetch for ever; 24 key-less requests
// filled max_connections and /healthz answered 503 until restart.
BOOST_AUTO_TEST_CASE(a_silent_jku_server_gives_401_at_the_fetch_deadline_and_wedges_nothing) {
  SilentJkuProduction f;
  ServerProcess server(f.config(), f.env("300", "16"));
  std::vector<ClientConnection> waiting;
  for (int i = 0; i < 12; ++i) {
    waiting.push_back(ClientConnection::open(server.port()));
    BOOST_REQUIRE(waiting.back().send(
        with_token(post_json(kService, patient_view_body()), f.keyless_token()).serialize()));
  }
  for (auto& c : waiting) BOOST_CHECK_EQUAL(c.read_response().status, 401);
  // The failure is remembered for the refetch interval: the next key-less call is refused at once.
  BOOST_CHECK_EQUAL(exchange(server.port(), with_token(post_json(kService, patient_view_body()), f.keyless_token()))
                        .status,
                    401);
  BOOST_CHECK_EQUAL(exchange(server.port(), get("/healthz")).status, 200);
  // A token with a known key still works.
  BOOST_CHECK_EQUAL(
      exchange(server.port(), with_token(post_json(kService, patient_view_body()), ec_key().token(spec(kService))))
          .status,
      200);
}

// Issue 11 item 1: a client that disconnects while its call waits for a jku fetch frees its connection slot at
// once (the fetch deadline here is far longer than the test waits).
BOOST_AUTO_TEST_CASE(a_client_that_disconnects_while_waiting_for_a_jku_frees_its_slot,
                     *boost::unit_test::enable_if<kHasConnectionPolicy>()) {
  SilentJkuProduction f;
  ServerProcess server(f.config(), f.env("60000", "4"));
  {
    std::vector<ClientConnection> waiting;
    for (int i = 0; i < 4; ++i) {
      waiting.push_back(ClientConnection::open(server.port()));
      BOOST_REQUIRE(waiting.back().send(
          with_token(post_json(kService, patient_view_body()), f.keyless_token()).serialize()));
    }
    for (auto& c : waiting) BOOST_CHECK(!c.readable(std::chrono::milliseconds(200)));  // still waiting
  }  // all four disconnect
  bool answered = false;
  for (int attempt = 0; attempt < 50 && !answered; ++attempt) {
    answered = exchange(server.port(), get("/healthz")).status == 200;
    if (!answered) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_CHECK_MESSAGE(answered, "the connection slots of the disconnected clients were not freed");
}

BOOST_AUTO_TEST_CASE(keys_are_fetched_from_an_allowlisted_jku_and_cached) {
  JwksServer jwks_server(jwks({ec_key().jwk()}));
  TempDir dir;
  ServerConfig c;
  c.auth_mode = "required";
  c.public_base_url = kBase;
  c.issuers_file =
      dir.write("issuers.json", R"({"issuers":[{"iss":")" + kIss + R"(","jku":[")" + jwks_server.url() + R"("]}]})");
  ServerProcess server(c);
  auto s = spec(kService);
  s.jku = jwks_server.url();
  BOOST_CHECK_EQUAL(
      exchange(server.port(), with_token(post_json(kService, patient_view_body()), ec_key().token(s))).status, 200);
  s = spec(kService);
  s.jku = jwks_server.url();
  BOOST_CHECK_EQUAL(
      exchange(server.port(), with_token(post_json(kService, patient_view_body()), ec_key().token(s))).status, 200);
  BOOST_CHECK_EQUAL(jwks_server.served(), 1);
  // Without jku, an issuer with no jwks_file has no key.
  BOOST_CHECK_EQUAL(
      exchange(server.port(), with_token(post_json(kService, patient_view_body()), ec_key().token(spec(kService))))
          .status,
      401);
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 11 item 5: one issuer filling the replay cache locked out every other issuer.
BOOST_AUTO_TEST_SUITE(auth_replay_share, *boost::unit_test::enable_if<!kCpprest>())

BOOST_AUTO_TEST_CASE(an_issuer_filling_its_replay_share_locks_out_only_itself) {
  const std::string other = "https://other-ehr.test";
  TempDir dir;
  dir.write("keys.json", jwks({ec_key().jwk()}));
  ServerConfig c;
  c.config_file = source_dir() + "/config/production.json";
  dir.write("issuers.json", R"({"issuers":[{"iss":")" + kIss + R"(","jwks_file":"keys.json"},{"iss":")" + other +
                                R"(","jwks_file":"keys.json"}]})");
  auto env = production_env(dir);
  env.push_back("NMO_AUTH_REPLAY_CACHE_ENTRIES=16");
  ServerProcess server(c, env);
  const auto call = [&server](const std::string& iss) {
    auto s = spec(kService);
    s.iss = iss;
    return exchange(server.port(), with_token(post_json(kService, patient_view_body()), ec_key().token(s))).status;
  };
  int accepted = 0;
  int status = 200;
  for (int i = 0; i < 200 && status == 200; ++i) {
    status = call(kIss);
    if (status == 200) ++accepted;
  }
  BOOST_TEST(status == 401);  // the flooding issuer's share is full...
  BOOST_TEST(accepted >= 1);
  BOOST_TEST(call(other) == 200);  // ...and the other issuer is served
  const auto metrics = exchange(server.admin_port(), get("/metrics"));
  BOOST_TEST(metrics.body.find("nmo_auth_replay_cache_entries " + std::to_string(accepted + 1)) != std::string::npos);
  server.send_signal(SIGTERM);
  BOOST_REQUIRE(server.wait_exit(std::chrono::seconds(15)).has_value());
  BOOST_TEST(server.output().find("\"reason\":\"replay_cache_full\"") != std::string::npos);
}

// Issue 11 item 5, several replicas: the prod overlay runs 2-10 replicas; a jti replayed on another replica went
// unnoticed. With auth.replay_store postgres it is refused there too.
BOOST_AUTO_TEST_CASE(a_jti_replayed_on_another_replica_is_refused_with_the_postgres_replay_store) {
  PostgresServer* pg = shared_postgres();
  if (pg == nullptr) {
    BOOST_TEST_MESSAGE("SKIPPED: PostgreSQL server binaries not installed");
    return;
  }
  const std::string url = pg->create_database("replay_replicas");
  TempDir dir;
  ServerConfig c = production(dir);
  auto env = production_env(dir);
  env.insert(env.end(), {"NMO_FEEDBACK_STORE=postgres", "NMO_FEEDBACK_POSTGRES_URL=" + url,
                         "NMO_AUTH_REPLAY_STORE=postgres"});
  ServerProcess one(c, env);
  ServerProcess two(c, env);
  const std::string token = ec_key().token(spec(kService));
  BOOST_CHECK_EQUAL(exchange(one.port(), with_token(post_json(kService, patient_view_body()), token)).status, 200);
  BOOST_CHECK_EQUAL(exchange(two.port(), with_token(post_json(kService, patient_view_body()), token)).status, 401);
  const std::string fresh = ec_key().token(spec(kService));
  BOOST_CHECK_EQUAL(exchange(two.port(), with_token(post_json(kService, patient_view_body()), fresh)).status, 200);
  BOOST_CHECK_EQUAL(exchange(one.port(), with_token(post_json(kService, patient_view_body()), fresh)).status, 401);
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 11 item 11: the cpprest build cannot enforce the edge rules, so it refuses auth.mode required.
BOOST_AUTO_TEST_SUITE(auth_transport)

BOOST_AUTO_TEST_CASE(the_cpprest_build_refuses_auth_mode_required_and_beast_serves_it) {
  TempDir dir;
  ServerConfig c = production(dir);
  auto env = production_env(dir);
  env.push_back("NMO_ADMIN_PORT=0");
  if (kCpprest) {
    const auto r = run_command({"serve", "--config", c.config_file}, env);
    BOOST_TEST(r.exited_with(1));
    BOOST_TEST(r.err.find("cpprest") != std::string::npos);
  } else {
    ServerProcess server(c, env);
    BOOST_TEST(exchange(server.port(), get("/cds-services")).status == 401);
  }
}

BOOST_AUTO_TEST_SUITE_END()
