#pragma once
// A minimal HTTPS GET for JWK Sets at allowlisted jku URLs (CDS Hooks 2.0 §Trusting CDS Clients). Each fetch runs
// on its own short-lived thread (the KeyStore fetches at most once per interval per jku), so it never blocks a
// transport worker. Certificates are verified against the system store with host name checks; http:// is used
// only for loopback URLs (the allowlist admits nothing else). To be replaced by the project's FHIR HTTP client.

#include "service/auth/jwks.hpp"

namespace nmo::service::auth {

/// A Fetcher doing GET over HTTPS (or HTTP to loopback) with a 10 s deadline and the caller's size limit.
Fetcher make_jwks_fetcher();

}  // namespace nmo::service::auth
