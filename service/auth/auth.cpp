#include "service/auth/auth.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "service/ops/log.hpp"
#include "service/ops/metrics.hpp"

namespace nmo::service::auth {
namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Authenticator::Authenticator(AuthOptions options, std::shared_ptr<KeyStore> keys)
    : options_(std::move(options)), keys_(std::move(keys)), replay_(options_.replay_cache_entries) {}

std::int64_t Authenticator::count(jwt::Reason reason) const {
  const auto i = static_cast<std::size_t>(reason);
  return i < counts_.size() ? counts_[i].load() : 0;
}

void Authenticator::finish(const std::function<void(AuthOutcome)>& done, AuthOutcome outcome) const {
  const auto i = static_cast<std::size_t>(outcome.reason);
  if (i < counts_.size()) counts_[i].fetch_add(1);
  done(std::move(outcome));
}

void Authenticator::authenticate(const Credentials& call, std::function<void(AuthOutcome)> done) const {
  using namespace std::chrono;
  const auto now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  const auto mono = duration_cast<seconds>(steady_clock::now().time_since_epoch()).count();
  authenticate_at(call, now, mono, std::move(done));
}

void Authenticator::authenticate_at(const Credentials& call, std::int64_t now, std::int64_t monotonic,
                                    std::function<void(AuthOutcome)> done) const {
  using jwt::Reason;
  AuthOutcome outcome;
  const std::string_view authorization = call.authorization;
  if (authorization.empty()) {
    // Development mode only: unsigned calls from this machine (the sandbox in a local browser, curl).
    if (options_.mode == AuthMode::development) {
      outcome.reason = call.from_loopback ? Reason::ok : Reason::not_loopback;
      outcome.unsigned_call = call.from_loopback;
    } else {
      outcome.reason = Reason::no_token;
    }
    finish(done, std::move(outcome));
    return;
  }
  // RFC 6750 §2.1: "Bearer" (case-insensitive) then the token.
  if (!iequals_prefix(authorization, "bearer ")) {
    outcome.reason = Reason::malformed;
    finish(done, std::move(outcome));
    return;
  }
  std::string_view compact = authorization.substr(7);
  while (!compact.empty() && compact.front() == ' ') compact.remove_prefix(1);
  while (!compact.empty() && compact.back() == ' ') compact.remove_suffix(1);

  auto parsed = jwt::parse(compact, options_.algorithms);
  if (parsed.reason != Reason::ok) {
    outcome.reason = parsed.reason;
    finish(done, std::move(outcome));
    return;
  }
  // CDS Hooks 2.0 §Trusting CDS Clients, in its order: iss allowlisted → aud → exp → tenant → signature by kid
  // from an allowlisted jku → jti not replayed.
  const TrustedIssuer* issuer = keys_ ? keys_->issuer(parsed.token.iss) : nullptr;
  if (issuer == nullptr) {
    outcome.reason = Reason::unknown_issuer;
    finish(done, std::move(outcome));
    return;
  }
  jwt::ClaimPolicy policy;
  const std::string_view target = call.endpoint;
  policy.audience = options_.public_base_url + std::string(target.substr(0, target.find('?')));
  policy.now = now;
  policy.skew_seconds = options_.skew_seconds;
  policy.max_lifetime_seconds = options_.max_lifetime_seconds;
  policy.tenants = issuer->tenants;
  if (const Reason r = jwt::check_claims(parsed.token, policy); r != Reason::ok) {
    outcome.reason = r;
    finish(done, std::move(outcome));
    return;
  }
  const std::string& jku = parsed.token.jku;
  if (!jku.empty() &&
      std::find(issuer->jku_allowlist.begin(), issuer->jku_allowlist.end(), jku) == issuer->jku_allowlist.end()) {
    outcome.reason = Reason::jku_not_allowed;
    finish(done, std::move(outcome));
    return;
  }
  auto token = std::make_shared<jwt::Token>(std::move(parsed.token));
  keys_->find_key(
      *issuer, token->jku, token->kid, monotonic, [this, token, now, done](std::shared_ptr<const jwt::PublicKey> key) {
        AuthOutcome result;
        if (!key) {
          result.reason = Reason::unknown_kid;
        } else {
          result.reason = jwt::verify_signature(*token, *key);
        }
        if (result.reason == Reason::ok) {
          // Remembered until the token could no longer be accepted (exp plus the skew).
          const std::int64_t until = *token->exp + options_.skew_seconds;
          result.reason = replay_.remember(token->iss, token->jti, until, now);
          ops::metrics::set_replay_cache_entries(static_cast<std::int64_t>(replay_.size()));
          if (result.reason == Reason::ok && options_.shared_replay) {
            try {
              if (!options_.shared_replay(jwt::replay_key(token->iss, token->jti), until, now)) {
                result.reason = Reason::replayed;  // seen by another replica
              }
            } catch (const std::exception& e) {
              ops::log::write(ops::log::Level::error, "replay_store_failed", {{"detail", e.what()}});
              result.reason = Reason::replay_store_unavailable;
            }
          }
        }
        if (result.reason == Reason::ok) result.iss = token->iss;
        finish(done, std::move(result));
      });
}

}  // namespace nmo::service::auth
