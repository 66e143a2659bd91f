#pragma once
// Reads FHIR JSON (DSTU2, STU3, R4, R5) into the version-neutral PatientRecord.
// CDS Hooks 2.0 §Prefetch: "the CDS Client MAY ... not provide prefetch ... a key's value may be null ... an
// OperationOutcome"; all four cases are told apart by classify_prefetch().

#include <cstddef>
#include <optional>
#include <string>
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

/// Whose record is read (CDS Hooks context.patientId). A resource belongs to the patient when its `subject` (else
/// `patient`) reference is "Patient/{id}" (optionally /_history/n), "{fhir_server}/Patient/{id}", or the fullUrl
/// of a Patient entry with that id in the same Bundle; a Patient belongs when its id is the patient's. Every other
/// resource that names a patient is foreign: dropped, not read, and counted. A resource that names no patient at
/// all is kept (README, Fetching: it came in an answer scoped to this patient).
struct Subject {
  std::string patient_id;          // bare Patient.id; a "Patient/" prefix is dropped by subject_of()
  std::string fhir_server;         // the request's fhirServer without a trailing '/'; "" when none
  std::size_t foreign = 0;         // out: resources dropped because they name another patient
  std::string first_foreign_path;  // out: the JSON path of the first of them
};

/// The Subject for context.patientId `patient_id` ("123" or "Patient/123") and fhirServer `fhir_server`.
Subject subject_of(std::string_view patient_id, std::string_view fhir_server);

/// read_resources() keeping only what belongs to `subject` (see Subject).
std::optional<Problem> read_resources(const rapidjson::Value& value, std::string_view path, PatientRecord& record,
                                      Subject& subject);

/// Adds `context.draftOrders` (a Bundle) to the record: MedicationRequest, MedicationOrder (DSTU2) and
/// MedicationStatement to record.draft_medications; Medication to record.medication_catalog; any other type but
/// Patient and OperationOutcome to record.draft_other (its `code` and `status`). Errors as read_resources().
std::optional<Problem> read_draft_orders(const rapidjson::Value& bundle, std::string_view path,
                                         PatientRecord& record);
/// read_draft_orders() keeping only what belongs to `subject`.
std::optional<Problem> read_draft_orders(const rapidjson::Value& bundle, std::string_view path, PatientRecord& record,
                                         Subject& subject);

}  // namespace nmo::fhir
