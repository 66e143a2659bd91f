#pragma once
// Authentication of CDS clients (CDS Hooks 2.0 §Trusting CDS Clients): `Authorization: Bearer <JWT>` on every
// discovery, service and feedback call. Modes: `required` (production) verifies every call; `development` also
// accepts calls without an Authorization header from loopback addresses, with a warning. A token that is present
// is always verified. Thread-safe.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service/auth/jwks.hpp"
#include "service/auth/jwt.hpp"

namespace nmo::service::auth {

enum class AuthMode { required, development };

struct AuthOptions {
  AuthMode mode = AuthMode::required;
  std::string public_base_url;  // aud = public_base_url + the request's path
  std::vector<std::string> algorithms{"ES384", "RS384"};
  std::int64_t skew_seconds = 60;
  std::int64_t max_lifetime_seconds = 3600;
  std::size_t replay_cache_entries = 100000;  // per issuer
  /// The shared replay store (auth.replay_store postgres), asked after the local cache accepts a jti: true when
  /// the key (jwt::replay_key) was new to every replica and is now remembered until `expires_at`; false when
  /// another replica saw it; throws when unavailable (the call is then refused). Empty: local cache only.
  std::function<bool(const std::string& key, std::int64_t expires_at, std::int64_t now)> shared_replay;
};

struct AuthOutcome {
  jwt::Reason reason = jwt::Reason::not_configured;
  bool unsigned_call = false;  // development mode, loopback, no token
  std::string iss;             // the verified issuer
  bool ok() const { return reason == jwt::Reason::ok; }
};

/// What authentication reads of a call: its headers' credentials and where it came from and went, nothing of
/// its body or route.
struct Credentials {
  std::string_view authorization;  // the Authorization header's value; "" when absent
  bool from_loopback = false;      // the client's address is a loopback address
  std::string_view endpoint;       // the called path (a query is ignored): aud = public_base_url + endpoint
};

class Authenticator {
 public:
  Authenticator(AuthOptions options, std::shared_ptr<KeyStore> keys);

  /// Calls `done` exactly once, at once or later from another thread (after a JWK Set fetch).
  void authenticate(const Credentials& call, std::function<void(AuthOutcome)> done) const;
  /// The same with the times given: `now` in seconds since the epoch, `monotonic` for the key cache.
  void authenticate_at(const Credentials& call, std::int64_t now, std::int64_t monotonic,
                       std::function<void(AuthOutcome)> done) const;

  const AuthOptions& options() const { return options_; }
  /// How often each reason was the outcome (index: jwt::Reason), for metrics.
  std::int64_t count(jwt::Reason reason) const;

 private:
  void finish(const std::function<void(AuthOutcome)>& done, AuthOutcome outcome) const;

  AuthOptions options_;
  std::shared_ptr<KeyStore> keys_;
  mutable jwt::ReplayCache replay_;
  mutable std::array<std::atomic<std::int64_t>, 32> counts_{};
};

}  // namespace nmo::service::auth
