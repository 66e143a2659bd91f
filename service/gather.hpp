#pragma once
// Gathering the data a hook call needs (CDS Hooks 2.0 §Prefetch: "If the CDS Client ... does not provide
// prefetch data ... the CDS Service MUST ... obtain the data itself" via §FHIR Resource Access): the service's
// prefetch keys that came absent or as an OperationOutcome are rendered (fhir::render_prefetch) and fetched from
// the request's fhirServer, concurrently, within one deadline per hook call (fhir.request_deadline_ms) and a
// timeout per HTTP exchange (fhir.call_timeout_ms). Nothing is contacted unless fhirServer is on
// fhir.allowed_servers. The access token goes to the FHIR server only: never into a Problem, a log line or a
// metric.

#include <functional>
#include <string_view>
#include <vector>

#include "fhir/problem.hpp"
#include "service/fhir_client.hpp"
#include "service/hook_call.hpp"
#include "service/runtime.hpp"

namespace nmo::service {

using GatherDone = std::function<void(fhir::Result<PendingCall>)>;

/// Completes `call` (its `missing` keys fetched and read into its record, `missing` then empty) or answers a
/// Problem: missing_data (412) when nothing may be fetched (no fhirServer, not allowlisted, no client, a template
/// that cannot be rendered), upstream (412) when a fetch fails or its data is malformed. `done` is called exactly
/// once: inline when nothing needs fetching or fetching is refused, otherwise on the FHIR client's thread.
///
/// DSTU2: the `medications` template searches MedicationRequest, which DSTU2 servers (the public sandbox's default)
/// do not have. When the data already read is DSTU2 the search goes to MedicationOrder instead; otherwise a 400,
/// 404 or 410 answer to the MedicationRequest search is retried once as MedicationOrder, within the same deadline.
void gather(PendingCall call, const Runtime& runtime, GatherDone done);

/// The client's options from config.fhir (ca_file as given; resolve a relative path first).
FhirClientOptions fhir_client_options(const config::Config& config);

/// Whether `fhir_server` is one of `allowed` (absolute http(s) URLs; scheme and host case-insensitive, a trailing
/// '/' ignored).
bool fhir_server_allowed(std::string_view fhir_server, const std::vector<std::string>& allowed);

}  // namespace nmo::service
