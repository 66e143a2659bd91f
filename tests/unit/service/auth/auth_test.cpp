#include "service/auth/auth.hpp"

#include <boost/test/unit_test.hpp>
#include <map>

#include "tests/support/test_keys.hpp"

using namespace nmo::service;
using namespace nmo::service::auth;
using jwt::Reason;
using nmo::test::TestKey;
using nmo::test::TokenSpec;

namespace {

constexpr std::int64_t kNow = 1790000000;
const std::string kBase = "https://cds.test";
const std::string kJku = "https://ehr.test/jwks.json";

const TestKey& key() {
  static const TestKey k = TestKey::ec("P-384", "k1");
  return k;
}

struct FakeFetcher {
  std::map<std::string, std::string> bodies;
  int calls = 0;
  Fetcher get() {
    return [this](const std::string& url, std::size_t max, FetchDone done) {
      ++calls;
      auto it = bodies.find(url);
      if (it == bodies.end() || it->second.size() > max) return done(std::nullopt);
      done(it->second);
    };
  }
};

// A call as the router describes it to the Authenticator.
struct Call {
  std::string authorization;
  std::string endpoint = "/cds-services/nmosd-patient-view?x=1";
  bool loopback = true;
  Credentials credentials() const { return {authorization, loopback, endpoint}; }
};

Call request(const std::string& token, bool loopback = true) {
  Call r;
  if (!token.empty()) r.authorization = "Bearer " + token;
  r.loopback = loopback;
  return r;
}

TokenSpec spec(std::string jti = "j1") {
  TokenSpec s;
  s.iss = "https://ehr.test";
  s.aud = kBase + "/cds-services/nmosd-patient-view";
  s.iat = kNow;
  s.exp = kNow + 300;
  s.jti = std::move(jti);
  return s;
}

struct Fixture {
  FakeFetcher fetcher;
  std::unique_ptr<Authenticator> make(AuthMode mode, bool static_keys, std::vector<std::string> jku = {}) {
    TrustedIssuer issuer;
    issuer.iss = "https://ehr.test";
    if (static_keys) issuer.static_keys = *jwt::parse_jwks(nmo::test::jwks({key().jwk()}));
    issuer.jku_allowlist = std::move(jku);
    KeyStoreOptions ko;
    ko.refetch_interval_seconds = 60;
    ko.cache_ttl_seconds = 600;
    AuthOptions o;
    o.mode = mode;
    o.public_base_url = kBase;
    return std::make_unique<Authenticator>(
        o, std::make_shared<KeyStore>(std::vector<TrustedIssuer>{issuer}, ko, fetcher.get()));
  }
};

Reason run(const Authenticator& a, const Call& r, std::int64_t mono = 1000, bool* unsigned_call = nullptr) {
  Reason out = Reason::not_configured;
  a.authenticate_at(r.credentials(), kNow, mono, [&](AuthOutcome o) {
    out = o.reason;
    if (unsigned_call) *unsigned_call = o.unsigned_call;
  });
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(auth, Fixture)

BOOST_AUTO_TEST_CASE(required_mode_refuses_a_call_without_a_token_even_from_loopback) {
  auto a = make(AuthMode::required, true);
  BOOST_TEST(run(*a, request("")) == Reason::no_token);
}

BOOST_AUTO_TEST_CASE(development_mode_accepts_unsigned_calls_from_loopback_only) {
  auto a = make(AuthMode::development, true);
  bool unsigned_call = false;
  BOOST_TEST(run(*a, request(""), 1000, &unsigned_call) == Reason::ok);
  BOOST_TEST(unsigned_call);
  BOOST_TEST(run(*a, request("", false)) == Reason::not_loopback);
  // A token that is present is verified even in development mode.
  auto s = spec();
  s.aud = "https://elsewhere.test/cds-services/nmosd-patient-view";
  BOOST_TEST(run(*a, request(key().token(s))) == Reason::wrong_audience);
}

BOOST_AUTO_TEST_CASE(valid_token_is_accepted_once_then_replay_is_refused) {
  auto a = make(AuthMode::required, true);
  const std::string t = key().token(spec());
  BOOST_TEST(run(*a, request(t)) == Reason::ok);
  BOOST_TEST(run(*a, request(t)) == Reason::replayed);
  BOOST_TEST(a->count(Reason::replayed) == 1);
}

BOOST_AUTO_TEST_CASE(authorization_must_be_a_bearer_token) {
  auto a = make(AuthMode::required, true);
  Call r = request("");
  r.authorization = "Basic dXNlcjpwYXNz";
  BOOST_TEST(run(*a, r) == Reason::malformed);
  Call lower = request("");
  lower.authorization = "bearer " + key().token(spec());
  BOOST_TEST(run(*a, lower) == Reason::ok);
}

BOOST_AUTO_TEST_CASE(unknown_issuer_is_refused) {
  auto a = make(AuthMode::required, true);
  auto s = spec();
  s.iss = "https://other.test";
  BOOST_TEST(run(*a, request(key().token(s))) == Reason::unknown_issuer);
}

BOOST_AUTO_TEST_CASE(jku_must_be_on_the_issuers_allowlist) {
  auto a = make(AuthMode::required, false, {kJku});
  auto s = spec();
  s.jku = "https://attacker.test/jwks.json";
  BOOST_TEST(run(*a, request(key().token(s))) == Reason::jku_not_allowed);
  BOOST_TEST(fetcher.calls == 0);
}

BOOST_AUTO_TEST_CASE(keys_are_fetched_from_an_allowlisted_jku_and_cached) {
  fetcher.bodies[kJku] = nmo::test::jwks({key().jwk()});
  auto a = make(AuthMode::required, false, {kJku});
  auto s = spec("a");
  s.jku = kJku;
  BOOST_TEST(run(*a, request(key().token(s))) == Reason::ok);
  s.jti = "b";
  BOOST_TEST(run(*a, request(key().token(s)), 1010) == Reason::ok);
  BOOST_TEST(fetcher.calls == 1);
  // After the TTL the set is fetched again.
  s.jti = "c";
  BOOST_TEST(run(*a, request(key().token(s)), 1000 + 601) == Reason::ok);
  BOOST_TEST(fetcher.calls == 2);
}

BOOST_AUTO_TEST_CASE(unknown_kid_refetches_at_most_once_per_interval) {
  fetcher.bodies[kJku] = nmo::test::jwks({key().jwk()});
  auto a = make(AuthMode::required, false, {kJku});
  const TestKey rotated = TestKey::ec("P-384", "k2");
  auto s = spec("a");
  s.jku = kJku;
  BOOST_TEST(run(*a, request(rotated.token(s)), 1000) == Reason::unknown_kid);
  s.jti = "b";
  BOOST_TEST(run(*a, request(rotated.token(s)), 1010) == Reason::unknown_kid);
  BOOST_TEST(fetcher.calls == 1);
  // The issuer rotates its keys; after the interval the new kid is found.
  fetcher.bodies[kJku] = nmo::test::jwks({key().jwk(), rotated.jwk()});
  s.jti = "c";
  BOOST_TEST(run(*a, request(rotated.token(s)), 1061) == Reason::ok);
  BOOST_TEST(fetcher.calls == 2);
}

BOOST_AUTO_TEST_CASE(oversized_or_failed_key_set_fetch_finds_no_key) {
  fetcher.bodies[kJku] = std::string(70000, ' ') + nmo::test::jwks({key().jwk()});
  auto a = make(AuthMode::required, false, {kJku});
  auto s = spec();
  s.jku = kJku;
  BOOST_TEST(run(*a, request(key().token(s))) == Reason::unknown_kid);
}

BOOST_AUTO_TEST_CASE(token_without_jku_uses_static_keys_only) {
  fetcher.bodies[kJku] = nmo::test::jwks({key().jwk()});
  auto a = make(AuthMode::required, false, {kJku});
  BOOST_TEST(run(*a, request(key().token(spec()))) == Reason::unknown_kid);
  BOOST_TEST(fetcher.calls == 0);
}

// Issue 11 item 5, several replicas: a jti accepted by one replica is refused by another through the shared
// replay store; a store that does not answer refuses the call.
BOOST_AUTO_TEST_CASE(a_jti_seen_by_another_replica_is_refused_through_the_shared_store) {
  std::map<std::string, std::int64_t> shared;  // the table both replicas use
  bool available = true;
  const auto make_replica = [&] {
    TrustedIssuer issuer;
    issuer.iss = "https://ehr.test";
    issuer.static_keys = *jwt::parse_jwks(nmo::test::jwks({key().jwk()}));
    AuthOptions o;
    o.mode = AuthMode::required;
    o.public_base_url = kBase;
    o.shared_replay = [&](const std::string& k, std::int64_t expires_at, std::int64_t) {
      if (!available) throw std::runtime_error("connection refused");
      return shared.emplace(k, expires_at).second;
    };
    return std::make_unique<Authenticator>(o, std::make_shared<KeyStore>(std::vector<TrustedIssuer>{issuer},
                                                                         KeyStoreOptions{}, Fetcher{}));
  };
  auto one = make_replica();
  auto two = make_replica();
  const std::string token = key().token(spec("shared-1"));
  BOOST_TEST(run(*one, request(token)) == Reason::ok);
  BOOST_TEST(run(*two, request(token)) == Reason::replayed);
  BOOST_TEST(shared.size() == 1u);
  BOOST_TEST(shared.begin()->first == jwt::replay_key("https://ehr.test", "shared-1"));
  available = false;
  BOOST_TEST(run(*two, request(key().token(spec("shared-2")))) == Reason::replay_store_unavailable);
}

BOOST_AUTO_TEST_SUITE_END()
