#pragma once
// Prometheus metrics (text exposition format 0.0.4) for GET /metrics. Recording never takes a lock: every series
// is a slot in a fixed array, claimed once with a compare-and-swap and then updated with relaxed atomics.
// Label values are truncated to 64 bytes; a family holds a fixed number of series, and what does not fit is
// counted in nmo_metrics_dropped_total instead.

#include <cstdint>
#include <string>
#include <string_view>

namespace nmo::service::ops::metrics {

/// Stages of a CDS service call (hook_call.cpp): parse the request, gather data (prefetch and FHIR fetches),
/// evaluate the rules, write the response.
enum class Stage { parse, gather, evaluate, write };

/// One HTTP request: `service` is the CDS service id for service and feedback calls, else the route name
/// (discovery, metrics, healthz, readyz, unknown...). Feeds nmo_http_requests_total{service,status} and
/// nmo_http_request_duration_seconds{service}.
void record_request(std::string_view service, int status, double seconds);

/// nmo_stage_duration_seconds{stage}.
void record_stage(Stage stage, double seconds);

/// One FHIR fetch (service/fetch/gather.*): nmo_fhir_fetch_duration_seconds{outcome}, a histogram whose _count is
/// the number of fetches by outcome.
/// Outcomes in use: ok, not_found, http_error, unauthorized, timeout, network_error, invalid_response, too_large.
void record_fetch(std::string_view outcome, double seconds);

/// One card returned: nmo_cards_total{rule,indicator} (indicator: info | warning | critical).
void record_card(std::string_view rule, std::string_view indicator);

/// One feedback entry stored: nmo_feedback_total{rule,outcome} (outcome: accepted | overridden; rule "unknown"
/// when the card uuid carries none).
void record_feedback(std::string_view rule, std::string_view outcome);

/// One request refused by authentication: nmo_auth_failures_total{reason}. Reasons in use: missing_token,
/// malformed_token, bad_signature, expired, not_yet_valid, wrong_audience, untrusted_issuer, unknown_key,
/// jwks_unavailable, replayed.
void record_auth_failure(std::string_view reason);

/// One feedback request the feedback store could not take (answered 503): nmo_feedback_store_errors_total.
void record_feedback_store_error();

/// One card not shown because an override of the same rule and facts is still in its quiet period
/// (cards/quiet.hpp): nmo_cards_quieted_total{rule}.
void record_quieted(std::string_view rule);

/// One hook call whose cards were all shown because the quiet store was unavailable (fail open):
/// nmo_quiet_fail_open_total.
void record_quiet_fail_open();

/// One hook call neither quieted nor recorded because HMAC failed for its patient pseudonym:
/// nmo_quiet_pseudonym_errors_total.
void record_quiet_pseudonym_error();

/// The quiet store failed an operation (`op`: record | reload | prune): nmo_quiet_store_errors_total{op}; and
/// whether its last reload worked: nmo_quiet_store_up (1 | 0).
void record_quiet_store_error(std::string_view op);
void set_quiet_store_up(bool up);
/// Resources dropped from one prefetch or fetched key because they belong to another patient than
/// context.patientId: nmo_foreign_resources_total{key} (key: the service's prefetch key).
void record_foreign_resources(std::string_view key, std::uint64_t count);
/// The jti replay cache's entries now (a gauge, nmo_auth_replay_cache_entries).
void set_replay_cache_entries(std::int64_t entries);

/// Every metric in the Prometheus text format, with HELP and TYPE lines.
std::string render();

}  // namespace nmo::service::ops::metrics
