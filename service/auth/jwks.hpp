#pragma once
// The trusted issuers and their keys (CDS Hooks 2.0 §Trusting CDS Clients): per issuer, a static JWK Set (read
// at start-up) and/or JWK Sets fetched from `jku` URLs on that issuer's allowlist, cached with a TTL, refetched
// on an unknown kid at most once per interval, size-limited. At most one fetch per jku is in flight, with at most
// max_waiters calls waiting for it; a failed fetch is remembered for the refetch interval. Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "service/auth/jwt.hpp"

namespace nmo::service::auth {

/// Fetches `url` (GET) and calls `done` exactly once, from any thread, with the body, or nullopt when the fetch
/// failed, the status was not 200, or the body exceeded `max_bytes`. Must not block the caller.
using FetchDone = std::function<void(std::optional<std::string> body)>;
using Fetcher = std::function<void(const std::string& url, std::size_t max_bytes, FetchDone done)>;

struct TrustedIssuer {
  std::string iss;
  std::vector<jwt::PublicKey> static_keys;  // from the issuer's jwks_file; may be empty
  std::vector<std::string> jku_allowlist;   // exact URLs
  std::vector<std::string> tenants;         // empty: any or none
};

struct KeyStoreOptions {
  std::int64_t cache_ttl_seconds = 3600;       // a fetched set is used this long, then refetched when needed
  std::int64_t refetch_interval_seconds = 60;  // an unknown kid refetches at most once per this interval
  std::size_t max_jwks_bytes = 65536;
  // Calls waiting for one jku's fetch in flight; more get no key at once (401 unknown_kid). Their wait is bounded
  // by the fetcher's deadline (make_jwks_fetcher).
  std::size_t max_waiters = 64;
};

/// Create with std::make_shared: a fetch in flight holds the store alive.
class KeyStore : public std::enable_shared_from_this<KeyStore> {
 public:
  /// `fetcher` may be empty: jku sets are then never fetched (only static keys are used).
  KeyStore(std::vector<TrustedIssuer> issuers, KeyStoreOptions options, Fetcher fetcher);

  /// The issuer named `iss`, or nullptr when it is not trusted.
  const TrustedIssuer* issuer(const std::string& iss) const;

  /// Finds the key `kid` of `issuer`: among its static keys, then in the set at `jku` (which the caller has
  /// checked is on the allowlist; "" for none). Fetches the set when it is missing or older than the TTL, or
  /// refetches it once per interval when `kid` is not in it. Calls `done` exactly once, at once or later from
  /// another thread, with the key or nullptr. `now` is a monotonic time in seconds.
  void find_key(const TrustedIssuer& issuer, const std::string& jku, const std::string& kid, std::int64_t now,
                std::function<void(std::shared_ptr<const jwt::PublicKey>)> done);

 private:
  struct CachedSet {
    std::vector<std::shared_ptr<const jwt::PublicKey>> keys;
    std::int64_t fetched_at = 0;
    bool have = false;
    std::optional<std::int64_t> last_attempt;
    bool in_flight = false;
    std::vector<std::function<void()>> waiters;  // run when the fetch in flight completes
  };
  std::shared_ptr<const jwt::PublicKey> lookup_locked(const std::string& jku, const std::string& kid) const;
  void fetch(const std::string& jku, std::int64_t now);

  std::vector<TrustedIssuer> issuers_;
  KeyStoreOptions options_;
  Fetcher fetcher_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, CachedSet> sets_;  // by jku
};

}  // namespace nmo::service::auth
