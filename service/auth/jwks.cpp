#include "service/auth/jwks.hpp"

#include <utility>

#include "service/ops/log.hpp"

namespace nmo::service::auth {

KeyStore::KeyStore(std::vector<TrustedIssuer> issuers, KeyStoreOptions options, Fetcher fetcher)
    : issuers_(std::move(issuers)), options_(options), fetcher_(std::move(fetcher)) {}

const TrustedIssuer* KeyStore::issuer(const std::string& iss) const {
  for (const auto& i : issuers_) {
    if (i.iss == iss) return &i;
  }
  return nullptr;
}

std::shared_ptr<const jwt::PublicKey> KeyStore::lookup_locked(const std::string& jku, const std::string& kid) const {
  auto it = sets_.find(jku);
  if (it == sets_.end()) return nullptr;
  for (const auto& k : it->second.keys) {
    if (k->kid == kid) return k;
  }
  return nullptr;
}

void KeyStore::find_key(const TrustedIssuer& issuer, const std::string& jku, const std::string& kid, std::int64_t now,
                        std::function<void(std::shared_ptr<const jwt::PublicKey>)> done) {
  for (const auto& k : issuer.static_keys) {
    if (k.kid == kid) {
      done(std::make_shared<const jwt::PublicKey>(k));
      return;
    }
  }
  if (jku.empty() || !fetcher_) {
    done(nullptr);
    return;
  }
  std::unique_lock lock(mutex_);
  CachedSet& set = sets_[jku];
  const bool fresh = set.have && now - set.fetched_at < options_.cache_ttl_seconds;
  if (fresh) {
    if (auto key = lookup_locked(jku, kid)) {
      lock.unlock();
      done(std::move(key));
      return;
    }
  }
  // Stale, missing, or kid unknown: fetch, but at most once per interval (an unknown kid must not let a caller
  // make us hammer the issuer).
  const bool may_fetch = !set.last_attempt || now - *set.last_attempt >= options_.refetch_interval_seconds;
  if (!set.in_flight && !may_fetch) {
    auto key = lookup_locked(jku, kid);  // a stale set is still better than none
    lock.unlock();
    done(std::move(key));
    return;
  }
  if (set.waiters.size() >= options_.max_waiters) {
    lock.unlock();
    done(nullptr);
    return;
  }
  set.waiters.push_back([this, jku, kid, done] {
    std::shared_ptr<const jwt::PublicKey> key;
    {
      std::lock_guard l(mutex_);
      key = lookup_locked(jku, kid);
    }
    done(std::move(key));
  });
  if (set.in_flight) return;
  set.in_flight = true;
  set.last_attempt = now;
  lock.unlock();
  fetch(jku, now);
}

void KeyStore::fetch(const std::string& jku, std::int64_t now) {
  fetcher_(jku, options_.max_jwks_bytes, [this, self = shared_from_this(), jku, now](std::optional<std::string> body) {
    std::vector<std::function<void()>> waiters;
    {
      std::lock_guard lock(mutex_);
      CachedSet& set = sets_[jku];
      if (body && body->size() <= options_.max_jwks_bytes) {
        auto keys = jwt::parse_jwks(*body);
        if (keys) {
          set.keys.clear();
          for (auto& k : *keys) set.keys.push_back(std::make_shared<const jwt::PublicKey>(std::move(k)));
          set.have = true;
          set.fetched_at = now;
          ops::log::write(ops::log::Level::info, "jwks_fetched",
                     {{"jku", jku}, {"keys", static_cast<std::int64_t>(set.keys.size())}});
        } else {
          ops::log::write(ops::log::Level::warn, "jwks_fetch_failed", {{"jku", jku}, {"reason", keys.problem().message}});
        }
      } else {
        ops::log::write(ops::log::Level::warn, "jwks_fetch_failed", {{"jku", jku}, {"reason", "fetch failed or too large"}});
      }
      set.in_flight = false;
      waiters.swap(set.waiters);
    }
    for (auto& w : waiters) w();
  });
}

}  // namespace nmo::service::auth
