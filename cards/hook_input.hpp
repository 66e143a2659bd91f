#pragma once
// What the engine needs to know of the hook call, already validated by service/. Plain data; `now` is passed in
// because the engine never reads the clock.

#include <cstdint>
#include <string>
#include <vector>

#include "fhir/patient_record.hpp"

namespace nmo::cards {

enum class Hook { patient_view, order_select, order_sign };

struct HookInput {
  Hook hook = Hook::patient_view;
  std::string service_id;     // e.g. "nmosd-patient-view"
  std::string hook_instance;  // UUID; seeds the stable card and suggestion uuids
  fhir::FhirVersion fhir_version = fhir::FhirVersion::r4;  // of the request's resources; suggestions follow it
  std::string patient_id;     // bare id (context.patientId)
  std::string patient_key;    // keyed pseudonym of caller, fhirServer and patient (service/); seeds card uuids
                              // with hook_instance, so one hookInstance reused for two patients gives two uuids
  std::string user_id;        // "Type/id"
  std::string encounter_id;   // may be empty
  std::vector<std::string> selections;  // order-select: "Type/id" of the selected draft orders
  std::int64_t now = 0;       // seconds since epoch, UTC
};

}  // namespace nmo::cards
