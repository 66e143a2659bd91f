#include "service/auth/jwt.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <limits>
#include <thread>

#include "tests/support/test_keys.hpp"

using namespace nmo::service::auth::jwt;
using nmo::test::b64url;
using nmo::test::TestKey;
using nmo::test::TokenSpec;

namespace {

constexpr std::int64_t kNow = 1790000000;
const std::string kAud = "https://cds.test/cds-services/nmosd-patient-view";
const std::vector<std::string> kAll{"ES384", "RS384", "ES256", "RS256", "PS384"};

const TestKey& ec384() {
  static const TestKey k = TestKey::ec("P-384", "ec384");
  return k;
}
const TestKey& rsa() {
  static const TestKey k = TestKey::rsa(2048, "rsa");
  return k;
}

TokenSpec spec(std::string alg = "ES384") {
  TokenSpec s;
  s.alg = std::move(alg);
  s.aud = kAud;
  s.iat = kNow;
  s.exp = kNow + 300;
  return s;
}

PublicKey key_of(const TestKey& k) {
  auto keys = parse_jwks(nmo::test::jwks({k.jwk()}));
  BOOST_REQUIRE(keys.ok());
  return keys->front();
}

ClaimPolicy policy() {
  ClaimPolicy p;
  p.audience = kAud;
  p.now = kNow;
  return p;
}

Reason full_check(const std::string& token, const TestKey& k, const std::vector<std::string>& algs = kAll) {
  auto parsed = parse(token, algs);
  if (parsed.reason != Reason::ok) return parsed.reason;
  if (auto r = check_claims(parsed.token, policy()); r != Reason::ok) return r;
  return verify_signature(parsed.token, key_of(k));
}

std::string unsigned_token(const std::string& header, const std::string& payload, const std::string& sig = "x") {
  return b64url(header) + "." + b64url(payload) + "." + b64url(sig);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(jwt)

BOOST_AUTO_TEST_CASE(valid_es384_token_verifies) {
  BOOST_TEST(full_check(ec384().token(spec()), ec384()) == Reason::ok);
}

BOOST_AUTO_TEST_CASE(valid_rs384_token_verifies) {
  BOOST_TEST(full_check(rsa().token(spec("RS384")), rsa()) == Reason::ok);
}

BOOST_AUTO_TEST_CASE(es256_rs256_and_ps384_verify_when_enabled) {
  const TestKey ec256 = TestKey::ec("P-256", "ec256");
  BOOST_TEST(full_check(ec256.token(spec("ES256")), ec256) == Reason::ok);
  BOOST_TEST(full_check(rsa().token(spec("RS256")), rsa()) == Reason::ok);
  BOOST_TEST(full_check(rsa().token(spec("PS384")), rsa()) == Reason::ok);
}

BOOST_AUTO_TEST_CASE(algorithms_not_enabled_are_refused) {
  const std::vector<std::string> defaults{"ES384", "RS384"};
  BOOST_TEST(full_check(rsa().token(spec("PS384")), rsa(), defaults) == Reason::alg_not_allowed);
  BOOST_TEST(full_check(rsa().token(spec("RS256")), rsa(), defaults) == Reason::alg_not_allowed);
}

BOOST_AUTO_TEST_CASE(alg_none_and_hs256_are_refused_before_the_payload_is_read) {
  // The payload is not even base64url: the alg check must come first.
  BOOST_TEST(parse(b64url(R"({"alg":"none","typ":"JWT","kid":"k"})") + ".!!!.", kAll).reason ==
             Reason::alg_not_allowed);
  BOOST_TEST(parse(b64url(R"({"alg":"HS256","typ":"JWT","kid":"k"})") + ".!!!.sig", kAll).reason ==
             Reason::alg_not_allowed);
  BOOST_TEST(parse(b64url(R"({"alg":"NONE","kid":"k"})") + ".e30.", kAll).reason == Reason::alg_not_allowed);
  BOOST_TEST(parse(b64url(R"({"alg":"HS384","kid":"k"})") + ".e30.c2ln", kAll).reason == Reason::alg_not_allowed);
}

BOOST_AUTO_TEST_CASE(malformed_tokens_are_refused) {
  for (const std::string t : {"", "abc", "a.b", "a.b.c.d", "....", "e30.e30.e30", "%%%.e30.e30"}) {
    BOOST_TEST_CONTEXT(t) { BOOST_TEST(parse(t, kAll).reason == Reason::malformed); }
  }
  const std::string header = R"({"alg":"ES384","typ":"JWT","kid":"k"})";
  BOOST_TEST(parse(unsigned_token(header, "[1]"), kAll).reason == Reason::malformed);
  BOOST_TEST(parse(unsigned_token(header, R"({"iss":5})"), kAll).reason == Reason::malformed);
  BOOST_TEST(parse(unsigned_token(header, R"({"iss":"a","aud":{"x":1}})"), kAll).reason == Reason::malformed);
  BOOST_TEST(parse(unsigned_token(header, R"({"exp":"soon"})"), kAll).reason == Reason::malformed);
  // Padding is not base64url as JWS uses it.
  BOOST_TEST(parse(b64url(header) + "=." + b64url("{}") + ".c2ln", kAll).reason == Reason::malformed);
  BOOST_TEST(parse(b64url(R"({"alg":"ES384","kid":"k","crit":["x"]})") + ".e30.c2ln", kAll).reason ==
             Reason::malformed);
}

BOOST_AUTO_TEST_CASE(header_requires_kid_and_typ_jwt) {
  auto s = spec();
  s.kid = "";
  BOOST_TEST(parse(ec384().token(s), kAll).reason == Reason::missing_kid);
  s = spec();
  s.typ = "JOSE+JSON";
  BOOST_TEST(parse(ec384().token(s), kAll).reason == Reason::bad_typ);
}

BOOST_AUTO_TEST_CASE(required_claims_must_be_present) {
  const std::string header = R"({"alg":"ES384","typ":"JWT","kid":"k"})";
  BOOST_TEST(parse(unsigned_token(header, R"({"iss":"i","aud":"a","exp":2,"iat":1})"), kAll).reason ==
             Reason::missing_claim);
  BOOST_TEST(parse(unsigned_token(header, R"({"aud":"a","exp":2,"iat":1,"jti":"j"})"), kAll).reason ==
             Reason::missing_claim);
  BOOST_TEST(parse(unsigned_token(header, R"({"iss":"i","aud":"a","iat":1,"jti":"j"})"), kAll).reason ==
             Reason::missing_claim);
}

BOOST_AUTO_TEST_CASE(audience_must_be_the_endpoint_url_as_string_or_one_element_array) {
  auto s = spec();
  s.aud_as_array = true;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::ok);
  s.aud = kAud + "/feedback";
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::wrong_audience);
  s = spec();
  s.aud = "https://cds.test/cds-services";
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::wrong_audience);
  const std::string header = R"({"alg":"ES384","typ":"JWT","kid":"k"})";
  auto two =
      parse(unsigned_token(header, R"({"iss":"i","aud":[")" + kAud + R"(","x"],"exp":2,"iat":1,"jti":"j"})"), kAll);
  BOOST_REQUIRE(two.reason == Reason::ok);
  BOOST_TEST(check_claims(two.token, policy()) == Reason::wrong_audience);
}

BOOST_AUTO_TEST_CASE(time_claims_are_checked_with_skew) {
  auto s = spec();
  s.iat = kNow - 400;
  s.exp = kNow - 61;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::expired);
  s.exp = kNow - 30;  // within the 60 s skew
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::ok);
  s = spec();
  s.iat = kNow + 120;
  s.exp = kNow + 300;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::issued_in_future);
  s = spec();
  s.nbf = kNow + 120;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::not_yet_valid);
  s = spec();
  s.exp = kNow + 7200;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::lifetime_too_long);
}

// Issue 11 item 4: exp - iat overflowed int64 (iat = -1e9, exp = INT64_MAX - 60 passed the 3,600 s limit).
// NumericDates before 2000 or after now + 10 years are refused before any arithmetic (UBSan stays silent).
BOOST_AUTO_TEST_CASE(numeric_dates_outside_a_sane_range_are_refused_before_any_arithmetic) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  auto s = spec();
  s.iat = -1000000000;
  s.exp = kMax - 60;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::malformed);
  s = spec();
  s.exp = kMax;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::malformed);
  s = spec();
  s.iat = kMin;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::malformed);
  s = spec();
  s.iat = 946684799;  // 1999-12-31T23:59:59Z
  s.exp = 946684799 + 300;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::malformed);
  s = spec();
  s.nbf = kMin + 10;
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::malformed);
  s = spec();
  s.nbf = kNow + 11 * 366 * 86400;  // after now + 10 years
  BOOST_TEST(full_check(ec384().token(s), ec384()) == Reason::malformed);
  // A large skew cannot overflow either.
  ClaimPolicy p = policy();
  p.skew_seconds = kMax;
  auto parsed = parse(ec384().token(spec()), kAll);
  BOOST_REQUIRE(parsed.reason == Reason::ok);
  BOOST_TEST(check_claims(parsed.token, p) == Reason::ok);
  // The edges of the range are accepted when the claims are otherwise right.
  s = spec();
  s.iat = 946684800;
  s.exp = 946684800 + 3600;
  p = policy();
  p.now = 946684800 + 10;
  parsed = parse(ec384().token(s), kAll);
  BOOST_REQUIRE(parsed.reason == Reason::ok);
  BOOST_TEST(check_claims(parsed.token, p) == Reason::ok);
}

BOOST_AUTO_TEST_CASE(tenant_is_checked_only_when_the_issuer_lists_tenants) {
  auto s = spec();
  auto parsed = parse(ec384().token(s), kAll);
  BOOST_REQUIRE(parsed.reason == Reason::ok);
  auto p = policy();
  BOOST_TEST(check_claims(parsed.token, p) == Reason::ok);
  p.tenants = {"t1"};
  BOOST_TEST(check_claims(parsed.token, p) == Reason::tenant_not_allowed);
  s.tenant = "t1";
  BOOST_TEST(check_claims(parse(ec384().token(s), kAll).token, p) == Reason::ok);
  s.tenant = "t2";
  BOOST_TEST(check_claims(parse(ec384().token(s), kAll).token, p) == Reason::tenant_not_allowed);
}

BOOST_AUTO_TEST_CASE(tampered_payload_or_signature_fails_verification) {
  const std::string t = ec384().token(spec());
  const auto dot = t.rfind('.');
  auto s2 = spec();
  s2.jti = "other";
  const std::string other = ec384().token(s2);
  // The payload of one token with the signature of another.
  BOOST_TEST(full_check(other.substr(0, dot) + t.substr(dot), ec384()) == Reason::bad_signature);
  // Signed by another key with the same kid.
  const TestKey impostor = TestKey::ec("P-384", "ec384");
  BOOST_TEST(full_check(impostor.token(spec()), ec384()) == Reason::bad_signature);
  // A DER signature (what OpenSSL emits) instead of raw R‖S is refused.
  std::string input = t.substr(0, dot);
  BOOST_TEST(full_check(input + "." + b64url(std::string(102, '\x30')), ec384()) == Reason::bad_signature);
  const TestKey rsa_impostor = TestKey::rsa(2048, "rsa");
  BOOST_TEST(full_check(rsa_impostor.token(spec("RS384")), rsa()) == Reason::bad_signature);
}

BOOST_AUTO_TEST_CASE(key_must_fit_the_algorithm) {
  // An RS384 token checked against an EC key, an ES256 token against a P-384 key.
  auto parsed = parse(rsa().token(spec("RS384")), kAll);
  BOOST_TEST(verify_signature(parsed.token, key_of(ec384())) == Reason::key_mismatch);
  const TestKey ec256 = TestKey::ec("P-256", "ec384");
  parsed = parse(ec256.token(spec("ES256")), kAll);
  BOOST_TEST(verify_signature(parsed.token, key_of(ec384())) == Reason::key_mismatch);
}

// Issue 14: parse_jwks sets up a verification context per algorithm once; each check copies it. One key is used
// by every worker thread at once, and a key without contexts (built by hand) is still checked.
BOOST_AUTO_TEST_CASE(one_key_checks_tokens_from_many_threads_at_once_and_without_prepared_contexts) {
  const PublicKey ec = key_of(ec384()), rs = key_of(rsa());
  BOOST_TEST(ec.verifiers[1] != nullptr);  // ES384
  BOOST_TEST(rs.verifiers[3] != nullptr);  // RS384
  BOOST_TEST(rs.verifiers[0] == nullptr);  // an RSA key does not fit ES256
  std::vector<std::string> good_ec, good_rs;
  for (int i = 0; i < 8; ++i) {
    auto s = spec();
    s.jti = "t" + std::to_string(i);
    good_ec.push_back(ec384().token(s));
    s.alg = "RS384";
    good_rs.push_back(rsa().token(s));
  }
  const auto tampered = [&good_rs](const std::string& t) {  // its header and payload, another token's signature
    const std::string& other = t == good_rs[0] ? good_rs[1] : good_rs[0];
    return t.substr(0, t.rfind('.')) + other.substr(other.rfind('.'));
  };
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < failures.size(); ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < 4; ++round) {
        for (std::size_t i = 0; i < good_ec.size(); ++i) {
          const auto check = [&](const std::string& token, const PublicKey& key, Reason expected) {
            auto parsed = parse(token, kAll);
            const Reason r = parsed.reason == Reason::ok ? verify_signature(parsed.token, key) : parsed.reason;
            if (r != expected) ++failures[w];
          };
          check(good_ec[i], ec, Reason::ok);
          check(good_rs[i], rs, Reason::ok);
          check(tampered(good_rs[i]), rs, Reason::bad_signature);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int f : failures) BOOST_TEST(f == 0);

  PublicKey bare = rs;
  bare.verifiers = {};
  auto parsed = parse(good_rs[0], kAll);
  BOOST_TEST(verify_signature(parsed.token, bare) == Reason::ok);
  parsed = parse(tampered(good_rs[0]), kAll);
  BOOST_TEST(verify_signature(parsed.token, bare) == Reason::bad_signature);
  parsed = parse(rsa().token(spec("PS384")), kAll);
  BOOST_TEST(verify_signature(parsed.token, bare) == Reason::ok);
  BOOST_TEST(verify_signature(parsed.token, rs) == Reason::ok);
}

BOOST_AUTO_TEST_CASE(jwks_parsing_keeps_only_usable_signature_keys) {
  auto keys = parse_jwks(nmo::test::jwks({ec384().jwk(), rsa().jwk(), R"({"kty":"oct","k":"c2VjcmV0","kid":"h"})",
                                          R"({"kty":"EC","crv":"P-384","kid":"enc","use":"enc","x":"AA","y":"AA"})"}));
  BOOST_REQUIRE(keys.ok());
  BOOST_TEST(keys->size() == 2u);
  BOOST_TEST(!parse_jwks(R"({"keys":[]})").ok());
  BOOST_TEST(!parse_jwks(R"([])").ok());
  // A point that is not on the curve is refused.
  const std::string bad_point = R"({"kty":"EC","crv":"P-384","kid":"b","x":")" + b64url(std::string(48, '\x01')) +
                                R"(","y":")" + b64url(std::string(48, '\x02')) + R"("})";
  BOOST_TEST(!parse_jwks(nmo::test::jwks({bad_point})).ok());
  // A short RSA key is refused.
  const TestKey small = TestKey::rsa(1024, "small");
  BOOST_TEST(!parse_jwks(nmo::test::jwks({small.jwk()})).ok());
}

BOOST_AUTO_TEST_CASE(the_public_sandbox_key_set_loads) {
  std::string path = std::string(NMO_SOURCE_DIR) + "/config/keys/sandbox-jwks.json";
  std::FILE* f = std::fopen(path.c_str(), "rb");
  BOOST_REQUIRE(f != nullptr);
  std::string text(8192, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), f));
  std::fclose(f);
  auto keys = parse_jwks(text);
  BOOST_REQUIRE(keys.ok());
  BOOST_TEST(keys->front().kid == "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f");
  BOOST_TEST(keys->front().crv == "P-384");
}

BOOST_AUTO_TEST_CASE(base64url_is_strict) {
  BOOST_TEST(base64url_decode("aGk").value() == "hi");
  BOOST_TEST(!base64url_decode("aGk=").has_value());
  BOOST_TEST(!base64url_decode("aGl").has_value());  // non-zero leftover bits
  BOOST_TEST(!base64url_decode("a").has_value());
  BOOST_TEST(!base64url_decode("a+b/").has_value());
  BOOST_TEST(base64url_encode("hi") == "aGk");
}

// Issue 14: the decoder reads four characters at a time; every length decodes, and every other byte is refused
// wherever it stands, as are tails whose spare bits are not zero.
BOOST_AUTO_TEST_CASE(base64url_decodes_every_length_and_refuses_every_byte_outside_its_alphabet) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    BOOST_TEST(base64url_decode(base64url_encode(bytes)).value() == bytes);
    bytes.push_back(static_cast<char>(n * 37 + 11));
  }
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  int accepted = 0;
  for (int c = 0; c < 256; ++c) {
    if (alphabet.find(static_cast<char>(c)) != std::string::npos) continue;
    for (std::string text : {"QUJDREVGRw", "QUJDREVGR0g"}) {  // "ABCDEFG", "ABCDEFGH": tails of 2 and 3
      for (std::size_t at = 0; at < text.size(); ++at) {
        std::string t = text;
        t[at] = static_cast<char>(c);
        if (base64url_decode(t)) ++accepted;
      }
    }
  }
  BOOST_TEST(accepted == 0);
  BOOST_TEST(base64url_decode("QUJDREVGRw").value() == "ABCDEFG");
  BOOST_TEST(base64url_decode("QUJDREVGR0g").value() == "ABCDEFGH");
  BOOST_TEST(!base64url_decode("QUJDREVGRx").has_value());   // spare bits of a 2-character tail
  BOOST_TEST(!base64url_decode("QUJDREVGR0h").has_value());  // and of a 3-character tail
  BOOST_TEST(!base64url_decode("QUJDREVGR").has_value());    // 4n + 1 characters
}

// Issue 14: the header and payload are parsed in place, in the buffer they were decoded into. Every limit and
// refusal of the token JSON holds there: depth 8, strings of 4 KiB, arrays of 64, duplicate names, NUL bytes,
// invalid UTF-8, trailing text; escapes and non-ASCII text decode to the same strings.
BOOST_AUTO_TEST_CASE(token_json_keeps_its_limits_and_refusals_when_parsed_in_place) {
  const std::string header = R"({"alg":"ES384","typ":"JWT","kid":"k"})";
  const std::string claims = R"("iss":"i","aud":"a","exp":2,"iat":1)";
  const auto with = [&](const std::string& extra) {
    return parse(unsigned_token(header, "{" + claims + R"(,"jti":"j")" + extra + "}"), kAll).reason;
  };
  BOOST_TEST(with("") == Reason::ok);
  BOOST_TEST(with(R"(,"x":)" + std::string(7, '[') + std::string(7, ']')) == Reason::ok);  // depth 8
  BOOST_TEST(with(R"(,"x":)" + std::string(8, '[') + std::string(8, ']')) == Reason::malformed);
  BOOST_TEST(with(R"(,"x":")" + std::string(4096, 'a') + "\"") == Reason::ok);
  BOOST_TEST(with(R"(,"x":")" + std::string(4097, 'a') + "\"") == Reason::malformed);
  BOOST_TEST(with(",\"" + std::string(4097, 'a') + "\":1") == Reason::malformed);
  std::string items = "0";
  for (int i = 1; i < 64; ++i) items += ",0";
  BOOST_TEST(with(R"(,"x":[)" + items + "]") == Reason::ok);
  BOOST_TEST(with(R"(,"x":[)" + items + ",0]") == Reason::malformed);
  BOOST_TEST(with(R"(,"jti":"again")") == Reason::malformed);
  BOOST_TEST(with(std::string(R"(,"x":"a)") + '\0' + "\"") == Reason::malformed);
  BOOST_TEST(with(",\"x\":\"\xC3\x28\"") == Reason::malformed);  // invalid UTF-8
  BOOST_TEST(with(",\"x\":\"\xC0\xAF\"") == Reason::malformed);  // overlong
  BOOST_TEST(parse(unsigned_token(header, "{" + claims + R"(,"jti":"j"} x)"), kAll).reason == Reason::malformed);
  BOOST_TEST(
      parse(unsigned_token(R"({"alg":"ES384","kid":"k","kid":"k"})", "{" + claims + R"(,"jti":"j"})"), kAll).reason ==
      Reason::malformed);

  auto t = parse(unsigned_token(R"({"alg":"ES384","kid":"k\u00e9"})",
                                R"({"iss":"https:\/\/ehr.test","aud":["a"],"exp":2,"iat":1,"jti":"j\u00e9\n-)"
                                "\xC3\xA9\"}"),
                 kAll);
  BOOST_REQUIRE(t.reason == Reason::ok);
  BOOST_TEST(t.token.kid == "k\xC3\xA9");
  BOOST_TEST(t.token.iss == "https://ehr.test");
  BOOST_TEST(t.token.jti == "j\xC3\xA9\n-\xC3\xA9");
  BOOST_TEST(t.token.aud.size() == 1u);
  BOOST_TEST(t.token.signature == "x");
}

BOOST_AUTO_TEST_CASE(replay_cache_refuses_a_jti_until_its_token_expires) {
  ReplayCache cache(1000);
  BOOST_TEST(cache.remember("i", "a", 100, 10) == Reason::ok);
  BOOST_TEST(cache.remember("i", "a", 100, 20) == Reason::replayed);
  BOOST_TEST(cache.remember("other", "a", 100, 20) == Reason::ok);  // jti is per issuer
  BOOST_TEST(cache.remember("i\na", "", 100, 20) == Reason::ok);     // and iss and jti are not simply joined
  BOOST_TEST(cache.size() == 3u);
  BOOST_TEST(cache.remember("i", "a", 200, 101) == Reason::ok);  // expired entries are forgotten
  cache.purge(101);
  BOOST_TEST(cache.size() == 1u);
}

// Issue 11 item 5: one issuer filling the cache locked out every other issuer, for good with far-future tokens.
BOOST_AUTO_TEST_CASE(a_full_share_refuses_only_its_own_issuer_and_entries_expire_with_their_token) {
  constexpr std::size_t kShare = 64;
  ReplayCache cache(kShare);
  std::size_t accepted = 0;
  Reason last = Reason::ok;
  for (int i = 0; i < 1000 && last == Reason::ok; ++i) {
    last = cache.remember("flood", "j" + std::to_string(i), 500, 10);
    if (last == Reason::ok) ++accepted;
  }
  BOOST_TEST(last == Reason::replay_cache_full);
  BOOST_TEST(accepted >= kShare / 16);
  BOOST_TEST(accepted <= kShare + 16);
  // Another issuer is unaffected.
  for (int i = 0; i < 8; ++i) BOOST_TEST(cache.remember("other", "j" + std::to_string(i), 500, 11) == Reason::ok);
  // Once the flood's tokens have expired, the issuer has its share again.
  BOOST_TEST(cache.remember("flood", "new", 900, 501) == Reason::ok);
  cache.purge(501);
  BOOST_TEST(cache.size() == 1u);  // everything else expired at 500
}

BOOST_AUTO_TEST_SUITE_END()
