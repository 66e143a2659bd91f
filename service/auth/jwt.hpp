#pragma once
// Verification of CDS client JWTs (CDS Hooks 2.0 §Trusting CDS Clients): compact JWS parsing, header and claim
// checks, signatures by the OpenSSL 3 EVP API, public keys from JWKs, and a jti replay cache. Pure: the caller
// passes the time in; nothing here reads the clock, the network or files.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fhir/problem.hpp"

struct evp_pkey_st;
struct evp_md_ctx_st;

namespace nmo::service::auth::jwt {

/// Why a token was refused; reason_code() is the name written to the log (never the token).
enum class Reason {
  ok,
  no_token,            // no Authorization: Bearer header
  malformed,           // not three base64url parts of JSON objects, or a required member of the wrong type
  alg_not_allowed,     // none, HS*, or an algorithm not enabled by configuration
  bad_typ,             // typ present and not JWT
  missing_kid,         // CDS Hooks 2.0 requires kid
  missing_claim,       // iss, aud, exp, iat or jti absent
  unknown_issuer,      // iss not on the allowlist
  wrong_audience,      // aud is not the URL of the endpoint called
  expired,             // exp (plus skew) has passed
  not_yet_valid,       // nbf (minus skew) is in the future
  issued_in_future,    // iat (minus skew) is in the future
  lifetime_too_long,   // exp - iat over the configured maximum
  tenant_not_allowed,  // tenant absent or not on the issuer's list when the issuer has one
  jku_not_allowed,     // jku in the header is not on the issuer's allowlist
  unknown_kid,         // no key with this kid (after at most one refetch)
  key_mismatch,        // the key's type, curve or alg does not fit the header's alg
  bad_signature,       // the signature does not verify
  replayed,            // jti seen before, within its token's lifetime
  replay_cache_full,   // no room to remember the jti: refused rather than forgotten
  replay_store_unavailable,  // the shared replay store (auth.replay_store postgres) did not answer: refused
  not_loopback,        // development mode: an unsigned call from a non-loopback address
  not_configured,      // no authenticator configured: every call is refused
};
const char* reason_code(Reason reason);
inline std::ostream& operator<<(std::ostream& out, Reason reason) { return out << reason_code(reason); }

/// The algorithms CDS Hooks 2.0 names or this service supports. Anything else is refused.
/// CDS Hooks 2.0 §Trusting CDS Clients: "ES384 and RS384 ... SHALL support"; none and HS* "SHALL NOT" be accepted.
bool is_supported_algorithm(std::string_view alg);

/// Strict base64url without padding (RFC 7515 §2); nullopt on any other character or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

/// A public key from a JWK. Shared and immutable: safe to use from any thread.
struct PublicKey {
  std::string kid;
  std::string kty;  // EC | RSA
  std::string crv;  // P-256 | P-384 for EC
  std::string alg;  // the JWK's alg, or "" when it names none
  std::shared_ptr<evp_pkey_st> key;
  /// One verification context per supported algorithm (ES256, ES384, RS256, RS384, PS384) that this key fits, set
  /// up once by parse_jwks (EVP_DigestVerifyInit and padding) and only copied afterwards, never used in place
  /// (issue 14: the set-up was 8 % of an RS384 check). Null where the key does not fit or was built by hand:
  /// verify_signature then sets one up itself.
  std::array<std::shared_ptr<evp_md_ctx_st>, 5> verifiers;
};

/// Parses a JWK Set ({"keys":[...]}). Keys that are not signature keys (use other than sig), of another kty or
/// curve, or RSA under 2048 bits are skipped; a set with no usable key, or not a JWK Set, is a Problem.
fhir::Result<std::vector<PublicKey>> parse_jwks(std::string_view json);

/// The parts of a compact JWS, decoded; no signature checked yet.
struct Token {
  // header
  std::string alg, typ, kid, jku;
  // claims
  std::string iss;
  std::vector<std::string> aud;  // a string becomes one element
  std::optional<std::int64_t> exp, iat, nbf;
  std::string jti;
  std::optional<std::string> tenant;
  // for the signature
  std::string signing_input;  // BASE64URL(header) "." BASE64URL(payload)
  std::string signature;      // raw bytes
};

/// Parses `compact` and checks its header: alg is checked against `allowed_algorithms` before anything else of
/// the token is decoded, so `none` and HS* never reach cryptography. Returns the reason on failure.
struct ParseResult {
  Reason reason = Reason::malformed;
  Token token;
};
ParseResult parse(std::string_view compact, const std::vector<std::string>& allowed_algorithms);

struct ClaimPolicy {
  std::string audience;                      // the exact URL of the endpoint called
  std::int64_t now = 0;                      // seconds since the epoch
  std::int64_t skew_seconds = 60;            // allowed clock difference
  std::int64_t max_lifetime_seconds = 3600;  // exp - iat at most this
  std::vector<std::string> tenants;          // empty: tenant not checked
};

/// Checks aud, exp, nbf, iat, lifetime and tenant (iss is checked by the caller against its allowlist first).
/// exp, iat and nbf outside 2000-01-01 .. now + 10 years are malformed, refused before any arithmetic.
Reason check_claims(const Token& token, const ClaimPolicy& policy);

/// Verifies the token's signature with `key` for the token's alg: ES256/ES384 (raw R‖S converted to DER),
/// RS256/RS384 (PKCS#1 v1.5), PS384 (PSS, MGF1 SHA-384, salt = hash length). key_mismatch when the key cannot
/// be used with that alg.
Reason verify_signature(const Token& token, const PublicKey& key);

/// The replay key of (iss, jti): 32 hex digits of the first 128 bits of SHA-256(iss, 0x00, jti), as the
/// ReplayCache keys its entries and the shared replay store stores them.
std::string replay_key(std::string_view iss, std::string_view jti);

/// Remembers each (iss, jti) until its token expires (issue 11 item 5). Entries are fixed-size: a 128-bit hash
/// (SHA-256, truncated) of iss and jti, the issuer's 64-bit std::hash and the expiry, in 16 shards each with its own
/// lock. Each issuer has its own share of `capacity_per_issuer` entries: when an issuer's share is full of
/// unexpired entries, a new jti of that issuer is refused (replay_cache_full) rather than an old one forgotten,
/// and other issuers are not affected. Thread-safe.
class ReplayCache {
 public:
  explicit ReplayCache(std::size_t capacity_per_issuer);
  /// ok when first seen (and now remembered until `expires_at`), replayed or replay_cache_full otherwise.
  Reason remember(std::string_view iss, std::string_view jti, std::int64_t expires_at, std::int64_t now);
  /// Entries remembered, all issuers, counting expired ones not purged yet (each remember() purges its own
  /// shard and one other in turn, so expired entries go within 16 calls).
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  /// Forgets every entry expired at `now`, in every shard.
  void purge(std::int64_t now);

 private:
  struct Key {
    std::uint64_t hi = 0, lo = 0;
    bool operator==(const Key& o) const { return hi == o.hi && lo == o.lo; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return static_cast<std::size_t>(k.lo); }
  };
  struct Entry {
    std::int64_t expires_at;
    std::uint64_t issuer;
  };
  struct Expiry {
    std::int64_t at;
    Key key;
    bool operator>(const Expiry& o) const { return at > o.at; }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<Key, Entry, KeyHash> entries;
    std::priority_queue<Expiry, std::vector<Expiry>, std::greater<Expiry>> by_expiry;
    std::unordered_map<std::uint64_t, std::size_t> per_issuer;  // entries of each issuer in this shard
  };
  static constexpr std::size_t kShards = 16;
  void purge(Shard& shard, std::int64_t now);

  std::size_t share_per_shard_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> size_{0};
  std::atomic<std::size_t> next_purge_{0};
};

}  // namespace nmo::service::auth::jwt
