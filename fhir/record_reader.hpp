#pragma once
// Reads FHIR JSON (DSTU2, STU3, R4, R5) into the version-neutral PatientRecord.
// CDS Hooks 2.0 §Prefetch: "the CDS Client MAY ... not provide prefetch ... a key's value may be null ... an
// OperationOutcome"; all four cases are told apart by classify_prefetch().

#include <optional>
#include <string_view>

#include <rapidjson/document.h>

#include "fhir/patient_record.hpp"
#include "fhir/problem.hpp"

namespace nmo::fhir {

enum class PrefetchState {
  absent,            // key missing: not attempted or failed → fetch it
  null_value,        // null: the client looked and there is no data
  empty,             // a Bundle without entries: no data
  operation_outcome, // the client's fetch failed → fetch it
  data,              // a resource or a Bundle with entries
};

/// `value` is the prefetch member's value, or nullptr when the key is absent.
PrefetchState classify_prefetch(const rapidjson::Value* value);

/// Adds every resource in `value` (a Bundle of any type, with or without `type`, or a single resource) to
/// `record`. Resource types the engine does not use are skipped; unknown members and `extension` are ignored.
/// `medicationReference` / R5 `medication.reference` resolve against contained Medications ("#id", which must
/// exist) and against every standalone Medication read into `record` so far, from any call (by Bundle fullUrl or
/// "Medication/id"); record.version is set from the resources' shapes when still unknown. A JSON null adds
/// nothing. `path` names `value` (e.g. "prefetch.conditions").
/// Returns a Problem (kind invalid, path to the bad element) on malformed data of a type it reads: the record may
/// then hold what was read before it. Never throws.
std::optional<Problem> read_resources(const rapidjson::Value& value, std::string_view path, PatientRecord& record);

/// Adds `context.draftOrders` (a Bundle) to the record: MedicationRequest, MedicationOrder (DSTU2) and
/// MedicationStatement to record.draft_medications; Medication to record.medication_catalog; any other type but
/// Patient and OperationOutcome to record.draft_other (its `code` and `status`). Errors as read_resources().
std::optional<Problem> read_draft_orders(const rapidjson::Value& bundle, std::string_view path,
                                         PatientRecord& record);

}  // namespace nmo::fhir
