#pragma once
// One CDS service call: validate the request (CDS Hooks 2.0 §HTTP Request and the hook's context), build the
// PatientRecord from prefetch, run the engine, write the response. Shared by the HTTP route and
// `nmo-cds evaluate`.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cards/hook_input.hpp"
#include "fhir/patient_record.hpp"
#include "fhir/problem.hpp"
#include "service/runtime.hpp"
#include "service/services.hpp"

namespace nmo::service {

struct HookOutcome {
  std::string body;                 // {"cards":[...]}
  std::vector<std::string> rules;   // rule ids of the cards, in order
  std::string hook_instance;
  std::vector<std::string> indicators;  // the cards' indicators (info | warning | critical), in order
  std::vector<std::string> quieted;     // rule ids of the cards not shown: overridden, in their quiet period
  std::string patient_id;               // context.patientId: for a pseudonym in logs, never logged as is
  // Seconds spent in each stage: parse and validate the request, gather the data (prefetch), evaluate, write.
  double parse_seconds = 0, gather_seconds = 0, evaluate_seconds = 0, write_seconds = 0;
};

/// A validated call whose prefetch (and draft orders) has been read; `missing` lists the prefetch keys that came
/// absent or as an OperationOutcome (or, for the patient key, as anything but the patient's Patient) and must be
/// fetched from fhir_server before the engine runs; `next_pages` the keys prefetched as page 1 of a paged search,
/// whose next pages must be fetched first (a partial chart is never evaluated as complete).
struct PendingCall {
  const ServiceDef* service = nullptr;
  cards::HookInput input;
  fhir::PatientRecord record;
  std::vector<std::pair<std::string, std::string>> missing;     // key → template, in the service's order
  std::vector<std::pair<std::string, std::string>> next_pages;  // key → the next link of its prefetched searchset
  std::string fhir_server;                                   // "" when the request has none
  std::string access_token;                                  // fhirAuthorization.access_token; never logged
  std::string caller;  // the verified JWT iss, or "unsigned" (development mode); part of the patient pseudonym
  double parse_seconds = 0;   // spent in begin_hook
  double gather_seconds = 0;  // spent fetching; set by whoever runs gather()

  bool needs_fetch() const { return !missing.empty() || !next_pages.empty(); }
};

/// Validates the request and reads what it carries. Problems: invalid (400, with the JSON path).
/// `hook_instance`, when given, receives the request's hookInstance as soon as it is read (for the log line of
/// a call that fails later).
fhir::Result<PendingCall> begin_hook(const ServiceDef& service, std::string_view body, const Runtime& runtime,
                                     std::int64_t now, std::string* hook_instance = nullptr);
using CallGathered = std::function<void(fhir::Result<PendingCall>)>;

/// Completes `call` (its `missing` keys and `next_pages` fetched from fhirServer and read into its record, both
/// then empty)
/// or answers a Problem: missing_data (412) when nothing may be fetched (no fhirServer, not allowlisted, no
/// client, a template that cannot be rendered), upstream (412) when a fetch fails or its data is malformed.
/// `done` is called exactly once: inline when nothing needs fetching or fetching is refused, otherwise on the
/// FHIR client's thread. Fetches run within fhir.request_deadline_ms, each exchange within fhir.call_timeout_ms.
void gather_call(PendingCall call, const Runtime& runtime, CallGathered done);

/// Runs the engine on a call whose data is complete (needs_fetch() false).
HookOutcome finish_hook(const PendingCall& call, const Runtime& runtime);

/// The whole call, synchronously: begin_hook, then gather_call() (blocking until the fetch ends, within the
/// configured deadline), then finish_hook. Problems: invalid (400, with the JSON path), missing_data or upstream
/// (412: data the service needs neither prefetched nor fetchable). `now` is seconds since the epoch (UTC).
/// `caller`: PendingCall::caller.
fhir::Result<HookOutcome> call_hook(const ServiceDef& service, std::string_view body, const Runtime& runtime,
                                    std::int64_t now, const std::string& caller = "unsigned");

/// True for 8-4-4-4-12 hexadecimal.
bool is_uuid(std::string_view text);

}  // namespace nmo::service
