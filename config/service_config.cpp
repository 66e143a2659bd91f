#include "config/service_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>

#include "fhir/json.hpp"

namespace nmo::config {
namespace {

using fhir::Problem;
using fhir::ProblemKind;

enum class Type { integer, string, string_list };

struct Field {
  const char* path;
  Type type;
  std::uint64_t min = 0;
  std::uint64_t max = std::numeric_limits<std::uint32_t>::max();
  std::function<void*(Config&)> target;  // std::uint64_t*, std::string* or std::vector<std::string>*
  const char* help = "";
};

template <class M>
std::function<void*(Config&)> at(M Config::*member) {
  return [member](Config& c) -> void* { return &(c.*member); };
}
template <class M>
std::function<void*(Config&)> at_fetch(M Fetch::*member) {
  return [member](Config& c) -> void* { return &(c.fhir.*member); };
}
template <class M>
std::function<void*(Config&)> at_limit(M Limits::*member) {
  return [member](Config& c) -> void* { return &(c.limits.*member); };
}

template <class M>
std::function<void*(Config&)> at_auth(M Auth::*member) {
  return [member](Config& c) -> void* { return &(c.auth.*member); };
}

template <class M>
std::function<void*(Config&)> at_tls(M Tls::*member) {
  return [member](Config& c) -> void* { return &(c.tls.*member); };
}

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      {"listen.address", Type::string, 0, 0, at(&Config::listen_address), "IP address to listen on"},
      {"listen.port", Type::integer, 0, 65535, at(&Config::listen_port), "TCP port; 0 picks a free one"},
      {"public_base_url", Type::string, 0, 0, at(&Config::public_base_url),
       "the URL clients call, as seen from outside (behind a proxy: the proxy's URL)"},
      {"threads", Type::integer, 0, 256, at(&Config::threads), "worker threads; 0 = number of cores"},
      {"admin.address", Type::string, 0, 0, at(&Config::admin_address),
       "IP address of the admin listener (/healthz, /readyz, /metrics); loopback unless probes need more"},
      {"admin.port", Type::integer, 0, 65535, at(&Config::admin_port),
       "TCP port of the admin listener; 0 picks a free one; /metrics is served only here"},
      {"limits.max_body_bytes", Type::integer, 1024, 1u << 30, at_limit(&Limits::max_body_bytes),
       "request body limit; over it → 413"},
      {"limits.max_header_bytes", Type::integer, 1024, 1u << 20, at_limit(&Limits::max_header_bytes),
       "request line and headers limit"},
      {"limits.header_timeout_ms", Type::integer, 50, 600000, at_limit(&Limits::header_timeout_ms),
       "time allowed to send the request line and headers"},
      {"limits.body_timeout_ms", Type::integer, 50, 600000, at_limit(&Limits::body_timeout_ms),
       "time allowed to send the body (and to read the response)"},
      {"limits.idle_timeout_ms", Type::integer, 50, 3600000, at_limit(&Limits::idle_timeout_ms),
       "keep-alive connection idle time before it is closed"},
      {"limits.max_connections", Type::integer, 1, 1000000, at_limit(&Limits::max_connections),
       "open connections; more are answered 503 and closed"},
      {"limits.max_connections_per_address", Type::integer, 0, 1000000,
       at_limit(&Limits::max_connections_per_address),
       "open connections from one client address; more get 503 (0: no cap; behind a proxy, every client is the "
       "proxy's address)"},
      {"limits.max_buffered_body_bytes", Type::integer, 1024, std::uint64_t{1} << 40,
       at_limit(&Limits::max_buffered_body_bytes),
       "all request bodies being read at once, by declared length (chunked: max_body_bytes); over it → 503"},
      {"limits.max_pipelined", Type::integer, 1, 1024, at_limit(&Limits::max_pipelined),
       "responses queued on one connection before reading pauses"},
      {"limits.max_requests_per_connection", Type::integer, 1, 100000000,
       at_limit(&Limits::max_requests_per_connection), "requests on one connection before it is closed"},
      {"limits.json_max_depth", Type::integer, 4, 512, at_limit(&Limits::json_max_depth),
       "nesting depth of request JSON"},
      {"limits.json_max_string_bytes", Type::integer, 64, 1u << 30, at_limit(&Limits::json_max_string_bytes),
       "one JSON string"},
      {"limits.json_max_array_items", Type::integer, 16, 100000000, at_limit(&Limits::json_max_array_items),
       "one JSON array"},
      {"limits.json_max_values", Type::integer, 1024, 100000000, at_limit(&Limits::json_max_values),
       "values in one JSON document, and at most one per 8 bytes of it (+1024); over it → 400"},
      {"shutdown_grace_ms", Type::integer, 0, 600000, at(&Config::shutdown_grace_ms),
       "on SIGTERM/SIGINT: time in-flight requests get to finish"},
      {"cors.allowed_origins", Type::string_list, 0, 0, at(&Config::cors_allowed_origins),
       "origins allowed by CORS; [\"*\"] allows any"},
      {"log_level", Type::string, 0, 0, at(&Config::log_level), "debug | info | warn | error"},
      {"knowledge_dir", Type::string, 0, 0, at(&Config::knowledge_dir),
       "directory of knowledge/*.json; relative to the config file"},
      {"log.pseudonym_salt", Type::string, 0, 0, at(&Config::log_pseudonym_salt),
       "salt of the patient pseudonyms in log lines (HMAC-SHA-256); empty: random per process (no correlation "
       "across restarts or replicas); set the same secret on every replica to correlate"},
      {"feedback.store", Type::string, 0, 0, at(&Config::feedback_store),
       "sqlite (embedded, one replica) | postgres (shared by several replicas)"},
      {"feedback.sqlite_path", Type::string, 0, 0, at(&Config::feedback_sqlite_path),
       "SQLite feedback database (WAL, synchronous=FULL); relative to the config file"},
      {"feedback.postgres_url", Type::string, 0, 0, at(&Config::feedback_postgres_url),
       "libpq connection URI for feedback.store = postgres, e.g. postgresql://nmo@db:5432/nmo; prefer "
       "NMO_FEEDBACK_POSTGRES_URL or PGPASSWORD for the password; never logged"},
      {"quiet.mode", Type::string, 0, 0, at(&Config::quiet_mode),
       "on: a card overridden with a quieting reason is not shown again for that patient, rule and facts for the "
       "reason's quiet_days (never a critical card) | off"},
      {"quiet.key", Type::string, 0, 0, at(&Config::quiet_key),
       "secret HMAC-SHA-256 key of the patient pseudonyms stored beside the feedback; the same on every replica "
       "(NMO_QUIET_KEY from a Secret); empty: log.pseudonym_salt, else random per process (quieting then lasts "
       "only as long as the process); never logged"},
      {"quiet.refresh_ms", Type::integer, 100, 3600000, at(&Config::quiet_refresh_ms),
       "how often issued cards are written to the store and overrides read back into memory"},
      {"auth.mode", Type::string, 0, 0, at_auth(&Auth::mode),
       "required (every call carries a verified JWT) | development (also unsigned calls from loopback)"},
      {"auth.issuers_file", Type::string, 0, 0, at_auth(&Auth::issuers_file),
       "trusted JWT issuers and their keys (JSON); relative to the config file; \"\" trusts none"},
      {"auth.algorithms", Type::string_list, 0, 0, at_auth(&Auth::algorithms),
       "JWS algorithms accepted: ES384, RS384 (default), ES256, RS256, PS384"},
      {"auth.clock_skew_seconds", Type::integer, 0, 600, at_auth(&Auth::clock_skew_seconds),
       "clock difference allowed for exp, nbf and iat"},
      {"auth.max_token_lifetime_seconds", Type::integer, 10, 86400, at_auth(&Auth::max_token_lifetime_seconds),
       "longest exp - iat accepted"},
      {"auth.replay_cache_entries", Type::integer, 16, 100000000, at_auth(&Auth::replay_cache_entries),
       "jti values remembered per issuer; when an issuer's share is full of unexpired tokens, its new tokens are "
       "refused"},
      {"auth.replay_store", Type::string, 0, 0, at_auth(&Auth::replay_store),
       "memory (this replica only) | postgres (also an UNLOGGED table on feedback.postgres_url, shared by replicas)"},
      {"auth.jwks_cache_ttl_seconds", Type::integer, 10, 604800, at_auth(&Auth::jwks_cache_ttl_seconds),
       "how long a JWK Set fetched from a jku is used before it is fetched again"},
      {"auth.jwks_refetch_interval_seconds", Type::integer, 1, 86400,
       at_auth(&Auth::jwks_refetch_interval_seconds), "an unknown kid refetches a jku at most this often"},
      {"auth.jwks_max_bytes", Type::integer, 1024, 1u << 20, at_auth(&Auth::jwks_max_bytes),
       "largest JWK Set fetched from a jku"},
      {"auth.jwks_fetch_timeout_ms", Type::integer, 100, 60000, at_auth(&Auth::jwks_fetch_timeout_ms),
       "deadline of one jku fetch (resolve, connect, TLS, response); calls waiting for it then get 401"},
      {"tls.certificate_file", Type::string, 0, 0, at_tls(&Tls::certificate_file),
       "PEM certificate chain; set: serve HTTPS (TLS 1.2+, reloaded on SIGHUP); relative to the config file"},
      {"tls.private_key_file", Type::string, 0, 0, at_tls(&Tls::private_key_file), "PEM private key"},
      {"tls.client_ca_file", Type::string, 0, 0, at_tls(&Tls::client_ca_file),
       "PEM CA certificates; set: mutual TLS (clients must present a certificate it signed)"},
      {"fhir.allowed_servers", Type::string_list, 0, 0, at_fetch(&Fetch::allowed_servers),
       "FHIR base URLs the service may fetch missing prefetch data from; empty: never fetch (412 instead)"},
      {"fhir.request_deadline_ms", Type::integer, 10, 60000, at_fetch(&Fetch::request_deadline_ms),
       "time all fetches of one hook call get, together"},
      {"fhir.call_timeout_ms", Type::integer, 10, 60000, at_fetch(&Fetch::call_timeout_ms),
       "time one HTTP exchange with the FHIR server gets"},
      {"fhir.ca_file", Type::string, 0, 0, at_fetch(&Fetch::ca_file),
       "PEM file of CAs trusted for https FHIR servers; empty: the system trust store"},
      {"fhir.max_response_bytes", Type::integer, 1024, 1u << 30, at_fetch(&Fetch::max_response_bytes),
       "one FHIR response body"},
      {"fhir.max_total_bytes", Type::integer, 1024, 1u << 30, at_fetch(&Fetch::max_total_bytes),
       "all pages of one search"},
      {"fhir.max_pages", Type::integer, 1, 1000, at_fetch(&Fetch::max_pages),
       "pages of one search followed through Bundle next links"},
      {"fhir.max_entries", Type::integer, 1, 1000000, at_fetch(&Fetch::max_entries),
       "entries of one search over all its pages"},
      {"fhir.idle_connections_per_host", Type::integer, 0, 64, at_fetch(&Fetch::idle_connections_per_host),
       "keep-alive connections kept open per FHIR server"},
  };
  return table;
}

const Field* find_field(std::string_view path) {
  for (const auto& f : fields()) {
    if (path == f.path) return &f;
  }
  return nullptr;
}

bool is_section(std::string_view path) {
  for (const auto& f : fields()) {
    std::string_view p = f.path;
    if (p.size() > path.size() && p.substr(0, path.size()) == path && p[path.size()] == '.') return true;
  }
  return false;
}

Problem bad(std::string path, std::string message) {
  return fhir::make_problem(ProblemKind::invalid, std::move(path), std::move(message));
}

std::optional<Problem> check_range(const Field& f, std::uint64_t v, const std::string& where) {
  if (v < f.min || v > f.max) {
    return bad(where, where + ": must be between " + std::to_string(f.min) + " and " + std::to_string(f.max));
  }
  return std::nullopt;
}

std::optional<Problem> apply_json(const Field& f, const rapidjson::Value& v, Config& c) {
  const std::string where = f.path;
  switch (f.type) {
    case Type::integer: {
      if (!v.IsUint64()) return bad(where, where + ": expected a non-negative integer");
      if (auto p = check_range(f, v.GetUint64(), where)) return p;
      *static_cast<std::uint64_t*>(f.target(c)) = v.GetUint64();
      return std::nullopt;
    }
    case Type::string:
      if (!v.IsString()) return bad(where, where + ": expected a string");
      *static_cast<std::string*>(f.target(c)) = std::string(v.GetString(), v.GetStringLength());
      return std::nullopt;
    case Type::string_list: {
      if (!v.IsArray()) return bad(where, where + ": expected an array of strings");
      std::vector<std::string> out;
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        if (!v[i].IsString()) return bad(fhir::path_index(where, i), where + ": expected an array of strings");
        out.emplace_back(v[i].GetString(), v[i].GetStringLength());
      }
      *static_cast<std::vector<std::string>*>(f.target(c)) = std::move(out);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<Problem> walk(const rapidjson::Value& obj, const std::string& prefix, Config& c) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    const std::string key(it->name.GetString(), it->name.GetStringLength());
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (const Field* f = find_field(path)) {
      if (auto p = apply_json(*f, it->value, c)) return p;
    } else if (is_section(path)) {
      if (!it->value.IsObject()) return bad(path, path + ": expected an object");
      if (auto p = walk(it->value, path, c)) return p;
    } else {
      return bad(path, "unknown configuration key: " + path);
    }
  }
  return std::nullopt;
}

std::string env_name(std::string_view path) {
  std::string out = "NMO_";
  for (char ch : path) out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

// Kubernetes injects {SERVICE}_SERVICE_HOST, {SERVICE}_SERVICE_PORT[_NAME], {SERVICE}_PORT and
// {SERVICE}_PORT_{N}_{PROTO}[_PROTO|_PORT|_ADDR] for every Service in the namespace: a Service named nmo-cds
// yields NMO_CDS_SERVICE_HOST and friends, which are not configuration.
bool is_service_link(std::string_view name) {
  if (name.find("_SERVICE_HOST") != std::string_view::npos || name.find("_SERVICE_PORT") != std::string_view::npos) {
    return true;
  }
  if (name.size() >= 5 && name.substr(name.size() - 5) == "_PORT") return true;
  for (const char* proto : {"_TCP", "_UDP", "_SCTP"}) {
    if (name.find("_PORT_") != std::string_view::npos && name.find(proto) != std::string_view::npos) return true;
  }
  return false;
}

std::optional<Problem> apply_env(const Field& f, const std::string& name, const std::string& value, Config& c) {
  const std::string where = "env " + name;
  switch (f.type) {
    case Type::integer: {
      std::uint64_t v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
        return bad(where, where + ": expected a non-negative integer");
      }
      if (auto p = check_range(f, v, where)) return p;
      *static_cast<std::uint64_t*>(f.target(c)) = v;
      return std::nullopt;
    }
    case Type::string:
      *static_cast<std::string*>(f.target(c)) = value;
      return std::nullopt;
    case Type::string_list: {
      // Two forms: a JSON array of strings (as --help shows list defaults) or comma-separated values.
      const auto first = value.find_first_not_of(" \t\r\n");
      if (first != std::string::npos && value[first] == '[') {
        auto doc = fhir::parse_json(value);
        const bool strings =
            doc && doc->IsArray() && std::all_of(doc->Begin(), doc->End(), [](const auto& v) { return v.IsString(); });
        if (!strings) {
          return bad(where, where + ": expected a JSON array of strings or a comma-separated list, got " + value);
        }
        return apply_json(f, *doc, c);
      }
      std::vector<std::string> out;
      std::stringstream ss(value);
      for (std::string item; std::getline(ss, item, ',');) {
        const auto begin = item.find_first_not_of(" \t");
        if (begin == std::string::npos) continue;
        out.push_back(item.substr(begin, item.find_last_not_of(" \t") - begin + 1));
      }
      *static_cast<std::vector<std::string>*>(f.target(c)) = std::move(out);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<Problem> check_values(const Config& c) {
  static const std::vector<std::string> levels = {"debug", "info", "warn", "error"};
  if (std::find(levels.begin(), levels.end(), c.log_level) == levels.end()) {
    return bad("log_level", "log_level: expected debug, info, warn or error");
  }
  const std::string_view url = c.public_base_url;
  if (url.substr(0, 7) != "http://" && url.substr(0, 8) != "https://") {
    return bad("public_base_url", "public_base_url: expected an http:// or https:// URL");
  }
  if (!url.empty() && url.back() == '/') {
    return bad("public_base_url", "public_base_url: must not end with '/'");
  }
  if (c.listen_address.empty()) return bad("listen.address", "listen.address: must not be empty");
  if (c.knowledge_dir.empty()) return bad("knowledge_dir", "knowledge_dir: must not be empty");
  if (c.feedback_store != "sqlite" && c.feedback_store != "postgres") {
    return bad("feedback.store", "feedback.store: expected sqlite or postgres");
  }
  if (c.feedback_store == "sqlite" && c.feedback_sqlite_path.empty()) {
    return bad("feedback.sqlite_path", "feedback.sqlite_path: must not be empty");
  }
  if (c.feedback_store == "postgres" && c.feedback_postgres_url.empty()) {
    return bad("feedback.postgres_url", "feedback.postgres_url: required when feedback.store is postgres");
  }
  if (c.quiet_mode != "on" && c.quiet_mode != "off") return bad("quiet.mode", "quiet.mode: expected on or off");
  if (c.auth.mode != "required" && c.auth.mode != "development") {
    return bad("auth.mode", "auth.mode: expected required or development");
  }
  if (c.tls.certificate_file.empty() != c.tls.private_key_file.empty()) {
    return bad("tls.private_key_file", "tls: certificate_file and private_key_file go together");
  }
  if (!c.tls.client_ca_file.empty() && c.tls.certificate_file.empty()) {
    return bad("tls.client_ca_file", "tls.client_ca_file: needs tls.certificate_file");
  }
  static const std::vector<std::string> algs = {"ES384", "RS384", "ES256", "RS256", "PS384"};
  if (c.auth.algorithms.empty()) return bad("auth.algorithms", "auth.algorithms: must not be empty");
  for (const auto& a : c.auth.algorithms) {
    // CDS Hooks 2.0 §Trusting CDS Clients: none and symmetric algorithms "SHALL NOT" be accepted.
    if (std::find(algs.begin(), algs.end(), a) == algs.end()) {
      return bad("auth.algorithms", "auth.algorithms: " + a + " is not one of ES384, RS384, ES256, RS256, PS384");
    }
  }
  for (const std::string& server : c.fhir.allowed_servers) {
    // Plain http only to this machine: a bearer token never crosses a network in clear.
    const bool https = server.rfind("https://", 0) == 0 && server.size() > 8;
    const auto host_is = [&server](std::string_view prefix) {
      return server.rfind(prefix, 0) == 0 &&
             (server.size() == prefix.size() || server[prefix.size()] == ':' || server[prefix.size()] == '/');
    };
    const bool loopback = host_is("http://localhost") || host_is("http://[::1]") ||
                          (server.rfind("http://127.", 0) == 0);  // the client also connects to loopback only
    if (!https && !loopback) {
      return bad("fhir.allowed_servers",
                 "fhir.allowed_servers: expected https:// URLs (http:// only to 127.0.0.1, [::1] or localhost): " +
                     server);
    }
  }
  return std::nullopt;
}

}  // namespace

fhir::Result<Config> parse_config(std::string_view json_text, const Environment& env) {
  Config config;
  const bool blank = std::all_of(json_text.begin(), json_text.end(),
                                 [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; });
  if (!blank) {
    auto doc = fhir::parse_json(json_text);
    if (!doc) return doc.problem();
    if (!doc->IsObject()) return bad("", "the configuration must be a JSON object");
    if (auto p = walk(*doc, "", config)) return *p;
  }
  for (const auto& [name, value] : env) {
    if (name.rfind("NMO_", 0) != 0) continue;
    const Field* field = nullptr;
    for (const auto& f : fields()) {
      if (env_name(f.path) == name) field = &f;
    }
    if (field == nullptr && is_service_link(name)) {
      config.ignored_environment.push_back(name);
      continue;
    }
    if (field == nullptr) return bad("env " + name, "unknown configuration variable: " + name);
    if (auto p = apply_env(*field, name, value, config)) return *p;
  }
  if (auto p = check_values(config)) return *p;
  return config;
}

std::string describe_config_keys() {
  std::string out;
  Config defaults;
  for (const auto& f : fields()) {
    std::string def;
    void* target = f.target(defaults);
    switch (f.type) {
      case Type::integer: def = std::to_string(*static_cast<std::uint64_t*>(target)); break;
      case Type::string: def.append("\"").append(*static_cast<std::string*>(target)).append("\""); break;
      case Type::string_list: {
        def.push_back('[');
        for (const auto& s : *static_cast<std::vector<std::string>*>(target)) {
          def.append(def.size() > 1 ? ", \"" : "\"").append(s).append("\"");
        }
        def += "]";
        break;
      }
    }
    out.append("  ").append(f.path).append(" = ").append(def).append("  (").append(env_name(f.path));
    out.append(")\n      ").append(f.help).append("\n");
  }
  return out;
}

}  // namespace nmo::config
