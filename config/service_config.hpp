#pragma once
// The typed service configuration (service.json) with its defaults. Parsed from text; an unknown key or a wrong
// type is an error naming the key. Environment overrides: NMO_<PATH> with dots as underscores, upper case
// (limits.max_body_bytes → NMO_LIMITS_MAX_BODY_BYTES); lists are comma-separated.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/problem.hpp"

namespace nmo::config {

struct Limits {
  std::uint64_t max_body_bytes = 8u << 20;
  std::uint64_t max_header_bytes = 16u << 10;
  std::uint64_t header_timeout_ms = 10000;
  std::uint64_t body_timeout_ms = 30000;
  std::uint64_t idle_timeout_ms = 60000;
  std::uint64_t max_connections = 1024;
  std::uint64_t max_connections_per_address = 128;  // 0: no per-address cap
  std::uint64_t max_buffered_body_bytes = 256u << 20;  // all bodies being read at once; half the pod's 512 Mi
  std::uint64_t max_pipelined = 16;
  std::uint64_t max_requests_per_connection = 1000;
  std::uint64_t json_max_depth = 64;
  std::uint64_t json_max_string_bytes = 1u << 20;
  std::uint64_t json_max_array_items = 100000;
  std::uint64_t json_max_values = 700000;  // and at most one per 8 bytes of the body (+1024)
};

// CDS Hooks 2.0 §Trusting CDS Clients. The trusted issuers live in their own file (issuers_file, see
// config/issuers.hpp); "" trusts no issuer.
struct Auth {
  std::string mode = "required";  // required | development (also unsigned calls from loopback)
  std::string issuers_file;       // relative to the config file's directory
  std::vector<std::string> algorithms{"ES384", "RS384"};
  std::uint64_t clock_skew_seconds = 60;
  std::uint64_t max_token_lifetime_seconds = 3600;
  std::uint64_t replay_cache_entries = 100000;  // per issuer
  std::string replay_store = "memory";           // memory | postgres (shared by replicas, feedback.postgres_url)
  std::uint64_t jwks_cache_ttl_seconds = 3600;
  std::uint64_t jwks_refetch_interval_seconds = 60;
  std::uint64_t jwks_max_bytes = 65536;
  std::uint64_t jwks_fetch_timeout_ms = 3000;  // one whole jku fetch; then its waiting calls get 401
};

// TLS serving (PEM files, relative to the config file's directory). No certificate file: plain HTTP.
struct Tls {
  std::string certificate_file;
  std::string private_key_file;
  std::string client_ca_file;  // set: mutual TLS, clients must present a certificate signed by it
};

// Fetching prefetch data the CDS client did not send, from its fhirServer (CDS Hooks 2.0 §Prefetch, §FHIR Resource
// Access). Nothing is contacted unless fhirServer is on allowed_servers.
struct Fetch {
  std::vector<std::string> allowed_servers;  // base URLs, exact match (a trailing '/' ignored); empty: never fetch
  std::uint64_t request_deadline_ms = 500;   // all fetches of one hook call
  std::uint64_t call_timeout_ms = 500;       // one HTTP exchange with the FHIR server
  std::string ca_file;                       // PEM trust anchors for https; empty: the system trust store
  std::uint64_t max_response_bytes = 4u << 20;
  std::uint64_t max_total_bytes = 16u << 20;  // all pages of one search
  std::uint64_t max_pages = 10;               // pages of one search (Bundle next links)
  std::uint64_t max_entries = 5000;           // entries of one search, all pages
  std::uint64_t idle_connections_per_host = 4;
};

struct Config {
  std::string listen_address = "127.0.0.1";
  std::uint64_t listen_port = 8080;
  std::string public_base_url = "http://127.0.0.1:8080";  // what clients call; no trailing slash
  std::uint64_t threads = 0;                              // 0: number of cores
  // The admin listener: /healthz, /readyz and /metrics only, never starved by public traffic. Loopback by
  // default; in Kubernetes the probes come from the node, so the manifests set 0.0.0.0 (NetworkPolicy-limited).
  std::string admin_address = "127.0.0.1";
  std::uint64_t admin_port = 9090;  // 0 picks a free one
  Limits limits;
  std::uint64_t shutdown_grace_ms = 10000;
  std::vector<std::string> cors_allowed_origins{"*"};
  std::string log_level = "info";  // debug | info | warn | error
  std::string knowledge_dir = "knowledge";  // relative paths are relative to the config file's directory
  Auth auth;
  Tls tls;
  std::string log_pseudonym_salt;           // salt of patient pseudonyms in logs; empty: random per process
  std::string feedback_store = "sqlite";    // sqlite | postgres
  std::string feedback_sqlite_path = "feedback.db";  // relative to the config file's directory
  std::string feedback_postgres_url;        // libpq URI or key=value string; secret: never logged
  std::string quiet_mode = "on";            // on | off: overrides quiet cards (issue 13)
  std::string quiet_key;                    // HMAC key of the stored patient pseudonyms; secret: never logged
  std::uint64_t quiet_refresh_ms = 5000;    // issued cards written and overrides read again this often

  /// NMO_* variables that were not configuration keys but Kubernetes service links (NMO_CDS_SERVICE_HOST, ...),
  /// ignored; start-up logs them as a warning.
  std::vector<std::string> ignored_environment;
  Fetch fhir;
};

using Environment = std::vector<std::pair<std::string, std::string>>;

/// Parses service.json text (may be empty: all defaults), then applies NMO_* entries of `env`. An unknown key,
/// a wrong type, an out-of-range value or an unknown NMO_* variable (other than a Kubernetes service link such as
/// NMO_CDS_SERVICE_HOST or NMO_CDS_PORT_8080_TCP, which is ignored) is a Problem whose path names the key
/// ("limits.max_body_bytes" or "env NMO_LIMITS_MAX_BODY_BYTES").
fhir::Result<Config> parse_config(std::string_view json_text, const Environment& env = {});

/// Every key as "path  (type, default)", for --help and the README.
std::string describe_config_keys();

}  // namespace nmo::config
