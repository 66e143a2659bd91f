#pragma once
// One FHIR-version-neutral picture of the patient, built from prefetch and/or fetched data (DSTU2..R5).
// Plain data: the engine (cards/) reads it and knows nothing of the JSON it came from. Times are seconds since
// the Unix epoch, UTC (a date-only value is its midnight UTC); absent when the resource had none or it was
// unreadable. Every element keeps `path`, the JSON path it was read from, so cards can cite their evidence.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nmo::fhir {

enum class FhirVersion { unknown, dstu2, stu3, r4, r5 };

struct Coding {
  std::string system;
  std::string code;
  std::string display;
};

/// A CodeableConcept (or a bare Coding / code, lifted into one).
struct Concept {
  std::vector<Coding> codings;
  std::string text;
};

using Time = std::optional<std::int64_t>;  // seconds since epoch, UTC

struct Patient {
  std::string id;
  Time birth_date;
  std::string gender;  // FHIR administrative gender code: male | female | other | unknown | ""
};

struct Condition {
  std::string id;
  std::string path;
  Concept code;
  std::vector<Concept> categories;  // category: an array (R4) or a single object (DSTU2/STU3 sandbox data)
  std::string clinical_status;      // code, lower case: active | recurrence | relapse | inactive | remission | resolved | ""
  std::string verification_status;  // code: confirmed | provisional | differential | unconfirmed | refuted | entered-in-error | ""
  Time onset;
  Time recorded;
};

/// MedicationRequest (STU3/R4/R5), MedicationOrder (DSTU2) or MedicationStatement, with its medication resolved
/// (code, contained or referenced Medication) into `medication`.
struct MedicationUse {
  enum class Source { request, order, statement };
  Source source = Source::request;
  std::string resource_type;  // as in the JSON: "MedicationRequest", "MedicationOrder", "MedicationStatement"
  std::string id;
  std::string path;
  Concept medication;
  std::string medication_reference;  // medicationReference / medication.reference when not contained ("" if none);
                                     // `medication` is then the referenced Medication's code once resolved, else
                                     // only the reference's display as text
  std::string status;         // code, lower case, as recorded (active, completed, stopped, draft, on-hold, ...)
  bool not_taken = false;     // MedicationStatement: R4 status not-taken, STU3 taken = n, DSTU2 wasNotTaken
  std::string intent;         // R4 intent when present
  Time authored;              // authoredOn / dateWritten / dateAsserted
  Time start;                 // effective period start / dispenseRequest validity start
  Time end;                   // effective period end / dateEnded
  std::vector<Concept> reasons;            // reasonCode (array or single object) / reasonCodeableConcept
  std::vector<std::string> reason_refs;    // reasonReference.reference
  std::optional<double> dose_mg;           // first dosage's dose in mg when stated in mg or g
  Concept route;                           // first dosage's route
  std::string dosage_text;                 // first dosage's text
  std::string json;                        // the resource as received (compact JSON), so that an update that stops it
                                           // can carry every member (an update replaces the whole resource)
};

/// Observation: only what the engine judges; `status` is kept so the engine can ignore non-final results.
struct Observation {
  std::string id;
  std::string path;
  Concept code;
  std::string status;                      // registered | preliminary | final | amended | corrected | cancelled | entered-in-error | unknown
  Time effective;                          // effectiveDateTime / effectivePeriod.start / issued
  // value[x]: at most one of these is set
  std::optional<Concept> value_concept;
  std::optional<std::string> value_string;
  std::optional<double> value_quantity;    // valueQuantity.value, or valueInteger (then without unit)
  std::string value_unit;                  // valueQuantity unit, else its code
  std::string value_comparator;            // <, <=, >=, >
  std::optional<bool> value_boolean;
  std::optional<double> value_ratio_denominator;  // titer 1:N as a Ratio: denominator / numerator (numerator 1 if absent)
  std::vector<Concept> interpretation;
  // The first referenceRange: the range a quantity is read against (issue 12 item 3).
  std::optional<double> reference_low;
  std::optional<double> reference_high;
  std::string reference_text;
};

struct Immunization {
  std::string id;
  std::string path;
  Concept vaccine;
  std::string status;  // completed | entered-in-error | not-done (R4); DSTU2 "completed" etc.
  bool not_given = false;  // DSTU2 wasNotGiven, STU3 notGiven, R4/R5 status not-done
  Time occurrence;
};

struct Procedure {
  std::string id;
  std::string path;
  Concept code;
  std::string status;  // completed | in-progress | not-done | entered-in-error | ...
  bool not_done = false;  // DSTU2 notPerformed, STU3 notDone, R4/R5 status not-done
  Time performed;      // performedDateTime / performedPeriod.start (R5: occurrenceDateTime / occurrencePeriod.start)
};

/// A draft order of a type the engine does not read as a medication (ServiceRequest, ProcedureRequest, ...).
struct OtherOrder {
  std::string resource_type;
  std::string id;
  std::string path;
  Concept code;
  std::string status;
};

/// A Medication resource seen in a Bundle (standalone); MedicationUse::medication_reference resolves against it.
struct Medication {
  std::string id;
  std::string full_url;  // the Bundle entry's fullUrl, when any
  std::string path;
  Concept code;
};

struct PatientRecord {
  FhirVersion version = FhirVersion::unknown;
  std::optional<Patient> patient;
  std::vector<Condition> conditions;
  std::vector<MedicationUse> medications;    // the chart: current and past
  std::vector<Observation> observations;
  std::vector<Immunization> immunizations;
  std::vector<Procedure> procedures;
  std::vector<MedicationUse> draft_medications;  // context.draftOrders (order-select / order-sign)
  std::vector<OtherOrder> draft_other;           // context.draftOrders, non-medication
  std::vector<Medication> medication_catalog;    // standalone Medications read so far (any key, any Bundle)
};

}  // namespace nmo::fhir
