// The JWK Set cache and its fetcher (issue 11 item 1): one fetch per jku in flight, bounded waiters, failures
// remembered for the refetch interval, and a fetch deadline that a silent jku server cannot defeat.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <future>

#include "service/auth/jwks.hpp"
#include "service/auth/jwks_fetch.hpp"
#include "tests/support/test_keys.hpp"

using namespace nmo::service::auth;
using namespace std::chrono_literals;

namespace {

const std::string kJku = "https://ehr.test/jwks.json";

const nmo::test::TestKey& key() {
  static const nmo::test::TestKey k = nmo::test::TestKey::ec("P-384", "k1");
  return k;
}

// A fetcher that answers only when the test says so.
struct DeferredFetcher {
  std::vector<FetchDone> pending;
  int calls = 0;
  Fetcher get() {
    return [this](const std::string&, std::size_t, FetchDone done) {
      ++calls;
      pending.push_back(std::move(done));
    };
  }
  void answer(std::optional<std::string> body) {
    auto all = std::move(pending);
    pending.clear();
    for (auto& done : all) done(body);
  }
};

struct Store {
  DeferredFetcher fetcher;
  TrustedIssuer issuer{"https://ehr.test", {}, {kJku}, {}};
  std::shared_ptr<KeyStore> store;
  explicit Store(std::size_t max_waiters = 4) {
    KeyStoreOptions o;
    o.refetch_interval_seconds = 60;
    o.max_waiters = max_waiters;
    store = std::make_shared<KeyStore>(std::vector<TrustedIssuer>{issuer}, o, fetcher.get());
  }
  // Asks for `kid` at `now`; the result lands in *out (0: not yet answered, 1: a key, -1: no key).
  void find(const std::string& kid, std::int64_t now, int* out) {
    store->find_key(*store->issuer(issuer.iss), kJku, kid, now,
                    [out](std::shared_ptr<const nmo::service::auth::jwt::PublicKey> k) { *out = k ? 1 : -1; });
  }
};

// A TCP listener on 127.0.0.1 that never accepts: the kernel completes the handshake, then nothing is said.
struct SilentServer {
  int fd = -1;
  std::uint16_t port = 0;
  SilentServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(jwks)

BOOST_AUTO_TEST_CASE(one_fetch_per_jku_is_in_flight_and_its_waiters_share_the_answer) {
  Store s;
  int a = 0, b = 0, c = 0;
  s.find("k1", 1000, &a);
  s.find("k1", 1000, &b);
  s.find("other", 1000, &c);
  BOOST_TEST(s.fetcher.calls == 1);
  BOOST_TEST((a == 0 && b == 0 && c == 0));
  s.fetcher.answer(nmo::test::jwks({key().jwk()}));
  BOOST_TEST(a == 1);
  BOOST_TEST(b == 1);
  BOOST_TEST(c == -1);
}

BOOST_AUTO_TEST_CASE(waiters_beyond_the_bound_get_no_key_at_once) {
  Store s(2);
  int r[4] = {};
  for (int& out : r) s.find("k1", 1000, &out);
  BOOST_TEST(s.fetcher.calls == 1);
  BOOST_TEST(r[0] == 0);
  BOOST_TEST(r[1] == 0);
  BOOST_TEST(r[2] == -1);  // over the bound: unknown_kid now, not a wait
  BOOST_TEST(r[3] == -1);
  s.fetcher.answer(nmo::test::jwks({key().jwk()}));
  BOOST_TEST(r[0] == 1);
  BOOST_TEST(r[1] == 1);
}

BOOST_AUTO_TEST_CASE(a_failed_fetch_answers_its_waiters_and_is_remembered_for_the_refetch_interval) {
  Store s;
  int first = 0;
  s.find("k1", 1000, &first);
  s.fetcher.answer(std::nullopt);
  BOOST_TEST(first == -1);
  int again = 0;
  s.find("k1", 1030, &again);  // within the interval: no new fetch, no wait
  BOOST_TEST(again == -1);
  BOOST_TEST(s.fetcher.calls == 1);
  int later = 0;
  s.find("k1", 1061, &later);  // after it: fetched again, and the recovered server is used
  BOOST_TEST(s.fetcher.calls == 2);
  s.fetcher.answer(nmo::test::jwks({key().jwk()}));
  BOOST_TEST(later == 1);
}

// Before: synchronous Beast I/O ignored its 10 s expires_after and this fetch never returned.
BOOST_AUTO_TEST_CASE(a_jku_server_that_accepts_and_stays_silent_fails_the_fetch_at_its_deadline) {
  SilentServer silent;
  const Fetcher fetch = make_jwks_fetcher(200ms);
  for (const std::string scheme : {"http", "https"}) {
    BOOST_TEST_CONTEXT(scheme) {
      auto promise = std::make_shared<std::promise<std::optional<std::string>>>();
      auto answered = promise->get_future();
      fetch(scheme + "://127.0.0.1:" + std::to_string(silent.port) + "/jwks.json", 65536,
            [promise](std::optional<std::string> body) { promise->set_value(std::move(body)); });
      BOOST_REQUIRE_MESSAGE(answered.wait_for(30s) == std::future_status::ready, "the fetch never returned");
      BOOST_TEST(!answered.get().has_value());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
