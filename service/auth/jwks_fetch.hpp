#pragma once
// A minimal HTTPS GET for JWK Sets at allowlisted jku URLs (CDS Hooks 2.0 §Trusting CDS Clients). Each fetch runs
// on its own short-lived thread (the KeyStore fetches at most once per interval per jku), so it never blocks a
// transport worker, and each has a deadline. Certificates are verified against the system store with host name checks; http:// is used
// only for loopback URLs (the allowlist admits nothing else). To be replaced by the project's FHIR HTTP client.

#include <chrono>

#include "service/auth/jwks.hpp"

namespace nmo::service::auth {

/// A Fetcher doing GET over HTTPS (or HTTP to loopback) with the caller's size limit. The whole exchange (resolve,
/// connect, handshake, request, response) gets `deadline`; then `done` is called with nullopt, whatever the
/// server does.
Fetcher make_jwks_fetcher(std::chrono::milliseconds deadline);

}  // namespace nmo::service::auth
