#pragma once
// Running a set of FHIR searches for one hook call against the request's fhirServer: concurrently, within one
// deadline, each HTTP exchange within its own timeout. The caller decides what to search (rendered queries) and
// what the answers mean; this room only fetches. The access token goes to the FHIR server only: never into a
// Problem, a log line or a metric.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/service_config.hpp"
#include "fhir/problem.hpp"
#include "service/fetch/fhir_client.hpp"

namespace nmo::service::fetch {

/// One search, relative to the FHIR server's base ("Observation?patient=123").
struct Search {
  std::string key;    // what it stands for (a prefetch key), for messages
  std::string query;  // rendered and relative to the base
  /// Searched instead, once, when `query` is answered 400, 404 or 410 (DSTU2 MedicationOrder where a server has
  /// no MedicationRequest). Empty: no retry.
  std::string fallback_query;
  /// Absolute URL under the FHIR server's base fetched instead of `query` (the next link of a paged prefetch).
  std::string url;
};

/// What to fetch: a plain description, nothing of the hook call.
struct FetchPlan {
  std::string fhir_server;   // absolute base URL, already checked against fhir.allowed_servers
  std::string access_token;  // sent as a Bearer token; never logged
  std::vector<Search> searches;
  std::chrono::steady_clock::time_point deadline;  // for everything
  std::chrono::milliseconds call_timeout{5000};    // per HTTP exchange
};

/// The answer to one search: every page, in order (each a resource or a Bundle).
struct Fetched {
  std::string key;
  std::vector<std::shared_ptr<rapidjson::Document>> pages;
};

using GatherDone = std::function<void(fhir::Result<std::vector<Fetched>>)>;

/// Runs every search of `plan` on `client`. Answers the pages of each, in the plan's order, or an upstream
/// Problem (412) naming the keys that failed, when a fetch fails or a page is an OperationOutcome. `done` is
/// called exactly once, on the client's thread (inline for an empty plan).
void gather(FetchPlan plan, FhirClient& client, GatherDone done);

/// The client's options from config.fhir (ca_file as given; resolve a relative path first).
FhirClientOptions fhir_client_options(const config::Config& config);

/// Whether `fhir_server` is one of `allowed` (absolute http(s) URLs; scheme and host case-insensitive, a trailing
/// '/' ignored).
bool fhir_server_allowed(std::string_view fhir_server, const std::vector<std::string>& allowed);

}  // namespace nmo::service::fetch
