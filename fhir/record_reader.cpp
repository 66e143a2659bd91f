#include "fhir/record_reader.hpp"

#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fhir/fields.hpp"
#include "fhir/json.hpp"
#include "fhir/time.hpp"

namespace nmo::fhir {
namespace {

namespace f = fields;
using rapidjson::Value;
using Status = std::optional<Problem>;  // nullopt: fine

// A Bundle may hold Bundles (rare); bound the nesting so that a Value not produced by parse_json cannot recurse
// without end.
constexpr int kMaxBundleNesting = 4;

Problem malformed(std::string path, std::string_view what) {
  std::string message = "malformed FHIR data: ";
  message.append(what);
  return make_problem(ProblemKind::invalid, std::move(path), message, std::string(what));
}

std::string_view view(const Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view();
}

/// A member's value, or nullptr when absent or null (FHIR JSON has no nulls outside primitive arrays; a client
/// that sends one means "no value").
// A linear scan like Value::FindMember, which calls memcmp for every member of the same length; comparing the
// first byte before it skips most of those calls (the profile's hottest function in reading a record).
const Value* find(const Value& obj, std::string_view name) {
  if (!obj.IsObject()) return nullptr;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    const Value& key = it->name;
    if (key.GetStringLength() != name.size()) continue;
    const char* k = key.GetString();
    if (!name.empty() && (k[0] != name[0] || std::memcmp(k, name.data(), name.size()) != 0)) continue;
    return it->value.IsNull() ? nullptr : &it->value;
  }
  return nullptr;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status read_string(const Value& obj, std::string_view name, std::string_view path, std::string& out) {
  const Value* v = find(obj, name);
  if (!v) return {};
  if (!v->IsString()) return malformed(path_member(path, name), "expected a string");
  out.assign(v->GetString(), v->GetStringLength());
  return {};
}

/// A FHIR `code`, lower-cased (status codes are lower case in every version; some servers capitalise them).
Status read_code(const Value& obj, std::string_view name, std::string_view path, std::string& out) {
  if (auto p = read_string(obj, name, path, out)) return p;
  out = lower(out);
  return {};
}

Status read_bool(const Value& obj, std::string_view name, std::string_view path, bool& out) {
  const Value* v = find(obj, name);
  if (!v) return {};
  if (!v->IsBool()) return malformed(path_member(path, name), "expected true or false");
  out = v->GetBool();
  return {};
}

Status read_time(const Value& obj, std::string_view name, std::string_view path, Time& out) {
  const Value* v = find(obj, name);
  if (!v) return {};
  if (!v->IsString()) return malformed(path_member(path, name), "expected a date or dateTime string");
  out = parse_fhir_time(view(*v));
  if (!out) return malformed(path_member(path, name), "not a FHIR date or dateTime");
  return {};
}

/// Period.start (and .end) of the member `name`.
Status read_period(const Value& obj, std::string_view name, std::string_view path, Time& start, Time* end) {
  const Value* v = find(obj, name);
  if (!v) return {};
  const std::string p = path_member(path, name);
  if (!v->IsObject()) return malformed(p, "expected a Period object");
  if (auto e = read_time(*v, f::kStart, p, start)) return e;
  if (end) return read_time(*v, f::kEnd, p, *end);
  return {};
}

Status read_number(const Value& obj, std::string_view name, std::string_view path, std::optional<double>& out) {
  const Value* v = find(obj, name);
  if (!v) return {};
  if (!v->IsNumber()) return malformed(path_member(path, name), "expected a number");
  out = v->GetDouble();
  return {};
}

Status read_coding(const Value& v, std::string_view path, Coding& out) {
  if (!v.IsObject()) return malformed(std::string(path), "expected a Coding object");
  if (auto p = read_string(v, f::kSystem, path, out.system)) return p;
  if (auto p = read_string(v, f::kCode, path, out.code)) return p;
  return read_string(v, f::kDisplay, path, out.display);
}

/// A CodeableConcept. A bare Coding (an object with `code` and no `coding`) is lifted into one.
Status read_concept(const Value& v, std::string_view path, Concept& out) {
  if (!v.IsObject()) return malformed(std::string(path), "expected a CodeableConcept object");
  if (const Value* coding = find(v, f::kCoding)) {
    const std::string p = path_member(path, f::kCoding);
    if (coding->IsArray()) {
      std::size_t i = 0;
      for (const Value& c : coding->GetArray()) {
        Coding one;
        if (auto e = read_coding(c, path_index(p, i++), one)) return e;
        out.codings.push_back(std::move(one));
      }
    } else if (coding->IsObject()) {  // non-R4 single-object shape
      Coding one;
      if (auto e = read_coding(*coding, p, one)) return e;
      out.codings.push_back(std::move(one));
    } else {
      return malformed(p, "expected an array of Coding");
    }
  } else if (find(v, f::kCode)) {
    Coding one;
    if (auto e = read_coding(v, path, one)) return e;
    out.codings.push_back(std::move(one));
  }
  return read_string(v, f::kText, path, out.text);
}

/// A CodeableConcept member; `present` tells whether it was there.
Status read_concept_member(const Value& obj, std::string_view name, std::string_view path, Concept& out,
                           bool* present = nullptr) {
  const Value* v = find(obj, name);
  if (present) *present = v != nullptr;
  if (!v) return {};
  return read_concept(*v, path_member(path, name), out);
}

/// An array of CodeableConcept, or a single one (the sandbox's single-object `category` and `reasonCode`).
Status read_concepts(const Value& obj, std::string_view name, std::string_view path, std::vector<Concept>& out) {
  const Value* v = find(obj, name);
  if (!v) return {};
  const std::string p = path_member(path, name);
  if (v->IsObject()) {
    Concept c;
    if (auto e = read_concept(*v, p, c)) return e;
    out.push_back(std::move(c));
    return {};
  }
  if (!v->IsArray()) return malformed(p, "expected an array of CodeableConcept");
  std::size_t i = 0;
  for (const Value& item : v->GetArray()) {
    Concept c;
    if (auto e = read_concept(item, path_index(p, i++), c)) return e;
    out.push_back(std::move(c));
  }
  return {};
}

/// Reference.reference (and .display) of a Reference object.
Status read_reference(const Value& v, std::string_view path, std::string& reference, std::string* display) {
  if (!v.IsObject()) return malformed(std::string(path), "expected a Reference object");
  if (auto e = read_string(v, f::kReference, path, reference)) return e;
  if (display) return read_string(v, f::kDisplay, path, *display);
  return {};
}

/// References in an array of Reference, or a single one (DSTU2).
Status read_references(const Value& obj, std::string_view name, std::string_view path, std::vector<std::string>& out) {
  const Value* v = find(obj, name);
  if (!v) return {};
  const std::string p = path_member(path, name);
  auto one = [&out](const Value& item, std::string_view item_path) -> Status {
    std::string ref;
    if (auto e = read_reference(item, item_path, ref, nullptr)) return e;
    if (!ref.empty()) out.push_back(std::move(ref));
    return {};
  };
  if (v->IsObject()) return one(*v, p);
  if (!v->IsArray()) return malformed(p, "expected an array of Reference");
  std::size_t i = 0;
  for (const Value& item : v->GetArray()) {
    if (auto e = one(item, path_index(p, i++))) return e;
  }
  return {};
}

/// A status that is a `code` in DSTU2/STU3 and a CodeableConcept in R4+: the coding from `system`, else the first
/// coding with a code. Sets `concept_form` when it was a CodeableConcept.
Status read_status_code_or_concept(const Value& obj, std::string_view name, std::string_view path,
                                   std::string_view system, std::string& out, bool& concept_form) {
  const Value* v = find(obj, name);
  if (!v) return {};
  if (v->IsString()) {
    out = lower(view(*v));
    return {};
  }
  const std::string p = path_member(path, name);
  if (!v->IsObject()) return malformed(p, "expected a code or a CodeableConcept");
  concept_form = true;
  Concept c;
  if (auto e = read_concept(*v, p, c)) return e;
  const Coding* chosen = nullptr;
  for (const Coding& coding : c.codings) {
    if (coding.code.empty()) continue;
    if (coding.system == system) {
      chosen = &coding;
      break;
    }
    if (!chosen) chosen = &coding;
  }
  if (chosen) out = lower(chosen->code);
  return {};
}

// Version hints. CDS Hooks 2.0 §Hooks: "All FHIR resources in a single CDS Hooks request ... SHALL be of the same
// FHIR version", so the first definite hint decides; an R5-only shape upgrades an "R4 or later" guess.
void note_version(PatientRecord& record, FhirVersion v) {
  if (record.version == FhirVersion::unknown || (v == FhirVersion::r5 && record.version == FhirVersion::r4)) {
    record.version = v;
  }
}

// Reads resources into one record; `draft_` routes orders to the draft lists (context.draftOrders).
struct Reader {
  PatientRecord& record_;
  bool draft_ = false;
  Subject* subject_ = nullptr;             // null: no identity check
  std::vector<std::string> patient_urls_;  // fullUrls of the subject's Patient entries seen so far

  bool belongs(const Value& r, std::string_view type) const;
  bool names_subject(std::string_view reference) const;

  Status read_resource(const Value& r, const std::string& path, std::string_view full_url, int nesting);
  Status read_bundle(const Value& b, const std::string& path, int nesting);

  Status read_condition(const Value& r, const std::string& path);
  Status read_medication_use(const Value& r, const std::string& path, MedicationUse::Source source,
                             std::string_view type);
  Status read_medication(const Value& r, const std::string& path, MedicationUse& use);
  Status read_dosage(const Value& r, std::string_view name, const std::string& path, MedicationUse& use);
  Status read_observation(const Value& r, const std::string& path);
  Status read_immunization(const Value& r, const std::string& path);
  Status read_procedure(const Value& r, const std::string& path);
  Status read_patient(const Value& r, const std::string& path);
  Status read_catalog_medication(const Value& r, const std::string& path, std::string_view full_url);
  Status read_other_order(const Value& r, const std::string& path, std::string_view type);
};

Status Reader::read_bundle(const Value& b, const std::string& path, int nesting) {
  const Value* entries = find(b, f::kEntry);
  if (!entries) return {};
  const std::string entry_path = path_member(path, f::kEntry);
  if (!entries->IsArray()) return malformed(entry_path, "Bundle.entry must be an array");
  if (subject_) {
    for (const Value& entry : entries->GetArray()) {
      const Value* url = find(entry, f::kFullUrl);
      const Value* resource = find(entry, f::kResource);
      if (!url || !url->IsString() || !resource) continue;
      const Value* type = find(*resource, f::kResourceType);
      const Value* id = find(*resource, f::kId);
      if (type && view(*type) == f::kPatientType && id && view(*id) == subject_->patient_id) {
        patient_urls_.emplace_back(view(*url));
      }
    }
  }
  std::size_t i = 0;
  for (const Value& entry : entries->GetArray()) {
    const std::string p = path_index(entry_path, i++);
    if (!entry.IsObject()) return malformed(p, "Bundle entry must be an object");
    std::string full_url;
    if (auto e = read_string(entry, f::kFullUrl, p, full_url)) return e;
    const Value* resource = find(entry, f::kResource);
    if (!resource) continue;  // an entry with only request/response/search parts carries no data
    if (auto e = read_resource(*resource, path_member(p, f::kResource), full_url, nesting)) return e;
  }
  return {};
}

Status Reader::read_resource(const Value& r, const std::string& path, std::string_view full_url, int nesting) {
  if (!r.IsObject()) return malformed(path, "expected a FHIR resource object");
  const Value* type_value = find(r, f::kResourceType);
  if (!type_value) return malformed(path_member(path, f::kResourceType), "resource without resourceType");
  if (!type_value->IsString()) return malformed(path_member(path, f::kResourceType), "resourceType must be a string");
  const std::string_view type = view(*type_value);
  if (const Value* id = find(r, f::kId); id && !id->IsString()) {
    return malformed(path_member(path, f::kId), "resource id must be a string");
  }

  if (type == f::kBundle) {
    if (nesting >= kMaxBundleNesting) return malformed(path, "Bundles nested too deeply");
    return read_bundle(r, path, nesting + 1);
  }
  if (subject_ && !belongs(r, type)) {
    if (subject_->foreign++ == 0) subject_->first_foreign_path = path;
    return {};
  }
  if (type == f::kMedicationType) return read_catalog_medication(r, path, full_url);
  if (type == f::kMedicationOrder) {
    note_version(record_, FhirVersion::dstu2);
    return read_medication_use(r, path, MedicationUse::Source::order, type);
  }
  if (type == f::kMedicationRequest) return read_medication_use(r, path, MedicationUse::Source::request, type);
  if (type == f::kMedicationStatement) return read_medication_use(r, path, MedicationUse::Source::statement, type);
  if (type == f::kOperationOutcome) return {};  // classify_prefetch() tells callers about these
  if (draft_) return type == f::kPatientType ? Status{} : read_other_order(r, path, type);
  if (type == f::kCondition) return read_condition(r, path);
  if (type == f::kObservation) return read_observation(r, path);
  if (type == f::kImmunization) return read_immunization(r, path);
  if (type == f::kProcedure) return read_procedure(r, path);
  if (type == f::kPatientType) return read_patient(r, path);
  return {};  // a type the engine does not use
}

bool Reader::names_subject(std::string_view ref) const {
  if (const auto h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  const std::string relative = std::string(f::kPatientType) + "/" + subject_->patient_id;
  if (ref == relative) return true;
  if (!subject_->fhir_server.empty() && ref.size() == subject_->fhir_server.size() + 1 + relative.size() &&
      ref.substr(0, subject_->fhir_server.size()) == subject_->fhir_server &&
      ref[subject_->fhir_server.size()] == '/' && ref.substr(subject_->fhir_server.size() + 1) == relative) {
    return true;
  }
  for (const std::string& url : patient_urls_) {
    if (ref == url) return true;
  }
  return false;
}

// Medications (a catalog) and OperationOutcomes name no patient; a Patient is the subject by its id; everything
// else by its subject (R4: most types) or patient (DSTU2, Immunization, NutritionOrder ...) reference.
bool Reader::belongs(const Value& r, std::string_view type) const {
  if (type == f::kMedicationType || type == f::kOperationOutcome) return true;
  if (type == f::kPatientType) {
    const Value* id = find(r, f::kId);
    return !id || view(*id) == subject_->patient_id;
  }
  const Value* reference = find(r, f::kSubject);
  if (!reference) reference = find(r, f::kPatient);
  if (!reference) return true;  // names no patient: kept
  const Value* target = reference->IsObject() ? find(*reference, f::kReference) : nullptr;
  if (!target || !target->IsString()) return true;  // an identifier or display only: names no resolvable patient
  return names_subject(view(*target));
}

Status Reader::read_condition(const Value& r, const std::string& path) {
  Condition c;
  c.path = path;
  if (auto e = read_string(r, f::kId, path, c.id)) return e;
  if (auto e = read_concept_member(r, f::kCode, path, c.code)) return e;
  if (auto e = read_concepts(r, f::kCategory, path, c.categories)) return e;
  bool clinical_concept = false;
  bool verification_concept = false;
  if (auto e = read_status_code_or_concept(r, f::kClinicalStatus, path, f::kConditionClinicalSystem, c.clinical_status,
                                           clinical_concept)) {
    return e;
  }
  if (auto e = read_status_code_or_concept(r, f::kVerificationStatus, path, f::kConditionVerificationSystem,
                                           c.verification_status, verification_concept)) {
    return e;
  }
  if (auto e = read_time(r, f::kOnsetDateTime, path, c.onset)) return e;
  if (!c.onset) {
    if (auto e = read_period(r, f::kOnsetPeriod, path, c.onset, nullptr)) return e;
  }
  for (std::string_view name : {f::kRecordedDate, f::kAssertedDate, f::kDateRecorded}) {
    if (c.recorded) break;
    if (auto e = read_time(r, name, path, c.recorded)) return e;
  }

  // DSTU2 Condition has `patient` and `dateRecorded`; STU3 has `assertedDate` and code statuses; R4 made the
  // statuses CodeableConcepts and added `recordedDate`.
  if (find(r, f::kPatient) || find(r, f::kDateRecorded)) {
    note_version(record_, FhirVersion::dstu2);
  } else if (find(r, f::kAssertedDate)) {
    note_version(record_, FhirVersion::stu3);
  } else if (clinical_concept || verification_concept || find(r, f::kRecordedDate)) {
    note_version(record_, FhirVersion::r4);
  } else if (find(r, f::kClinicalStatus) || find(r, f::kVerificationStatus)) {
    note_version(record_, FhirVersion::stu3);
  }
  record_.conditions.push_back(std::move(c));
  return {};
}

/// medication[x] (R4: medicationCodeableConcept / medicationReference; R5: medication.concept /
/// medication.reference). A contained reference ("#id") must resolve; any other is resolved later against the
/// Medications of the Bundle (resolve_medications()).
Status Reader::read_medication(const Value& r, const std::string& path, MedicationUse& use) {
  std::string reference;
  std::string display;
  std::string reference_path;
  if (const Value* m = find(r, f::kMedication)) {  // R5 CodeableReference
    const std::string p = path_member(path, f::kMedication);
    if (!m->IsObject()) return malformed(p, "expected a CodeableReference object");
    note_version(record_, FhirVersion::r5);
    if (auto e = read_concept_member(*m, f::kConcept, p, use.medication)) return e;
    if (const Value* ref = find(*m, f::kReference)) {
      reference_path = path_member(p, f::kReference);
      if (auto e = read_reference(*ref, reference_path, reference, &display)) return e;
    }
  } else {
    if (auto e = read_concept_member(r, f::kMedicationCodeableConcept, path, use.medication)) return e;
    if (const Value* ref = find(r, f::kMedicationReference)) {
      reference_path = path_member(path, f::kMedicationReference);
      if (auto e = read_reference(*ref, reference_path, reference, &display)) return e;
    }
  }
  if (reference.empty()) {
    if (use.medication.text.empty()) use.medication.text = display;
    return {};
  }
  if (reference.front() != '#') {
    use.medication_reference = std::move(reference);
    if (use.medication.text.empty()) use.medication.text = display;
    return {};
  }
  // FHIR R4 §Resource Contained: "contained resources SHALL be referred to from elsewhere in the resource"; a
  // "#id" that names no contained Medication is broken data, not something to guess around.
  const std::string_view wanted = std::string_view(reference).substr(1);
  const Value* contained = find(r, f::kContained);
  if (contained && contained->IsArray()) {
    const std::string contained_path = path_member(path, f::kContained);
    std::size_t i = 0;
    for (const Value& c : contained->GetArray()) {
      const std::string p = path_index(contained_path, i++);
      if (!c.IsObject()) return malformed(p, "expected a contained resource object");
      const Value* type = find(c, f::kResourceType);
      const Value* id = find(c, f::kId);
      if (!type || !type->IsString() || view(*type) != f::kMedicationType || !id || !id->IsString() ||
          view(*id) != wanted) {
        continue;
      }
      Concept code;
      if (auto e = read_concept_member(c, f::kCode, p, code)) return e;
      if (code.text.empty()) code.text = display;
      use.medication = std::move(code);
      return {};
    }
  } else if (contained) {
    return malformed(path_member(path, f::kContained), "expected an array of resources");
  }
  return malformed(path_member(reference_path, f::kReference), "reference to a contained Medication that is not there");
}

/// The first dosage: its dose in mg (R4/R5 doseAndRate[0].doseQuantity, STU3/DSTU2 doseQuantity, DSTU2
/// MedicationStatement quantityQuantity) when stated in mg or g, its route and its text.
Status Reader::read_dosage(const Value& r, std::string_view name, const std::string& path, MedicationUse& use) {
  const Value* list = find(r, name);
  if (!list) return {};
  std::string p = path_member(path, name);
  const Value* dosage = list;
  if (list->IsArray()) {
    if (list->Empty()) return {};
    dosage = &(*list)[0];
    p = path_index(p, 0);
  }
  if (!dosage->IsObject()) return malformed(p, "expected a Dosage object");
  if (auto e = read_string(*dosage, f::kText, p, use.dosage_text)) return e;
  if (auto e = read_concept_member(*dosage, f::kRoute, p, use.route)) return e;

  const Value* quantity = nullptr;
  std::string quantity_path;
  if (const Value* dar = find(*dosage, f::kDoseAndRate)) {
    std::string dar_path = path_member(p, f::kDoseAndRate);
    const Value* first = dar;
    if (dar->IsArray()) {
      first = dar->Empty() ? nullptr : &(*dar)[0];
      dar_path = path_index(dar_path, 0);
    }
    if (first) {
      if (!first->IsObject()) return malformed(dar_path, "expected a doseAndRate object");
      quantity = find(*first, f::kDoseQuantity);
      quantity_path = path_member(dar_path, f::kDoseQuantity);
    }
  }
  for (std::string_view q : {f::kDoseQuantity, f::kQuantityQuantity}) {
    if (quantity) break;
    quantity = find(*dosage, q);
    quantity_path = path_member(p, q);
  }
  if (!quantity) return {};
  if (!quantity->IsObject()) return malformed(quantity_path, "expected a Quantity object");
  std::optional<double> value;
  std::string unit;
  std::string code;
  if (auto e = read_number(*quantity, f::kValue, quantity_path, value)) return e;
  if (auto e = read_string(*quantity, f::kUnit, quantity_path, unit)) return e;
  if (auto e = read_string(*quantity, f::kCode, quantity_path, code)) return e;
  if (!value) return {};
  // UCUM codes are case-sensitive ("mg", "g"); the human-readable unit is compared without case.
  const std::string u = code.empty() ? lower(unit) : code;
  if (u == "mg" || u == "milligram" || u == "milligrams") {
    use.dose_mg = *value;
  } else if (u == "g" || u == "gram" || u == "grams") {
    use.dose_mg = *value * 1000.0;
  }
  return {};
}

Status Reader::read_medication_use(const Value& r, const std::string& path, MedicationUse::Source source,
                                   std::string_view type) {
  MedicationUse m;
  m.source = source;
  m.resource_type = std::string(type);
  m.path = path;
  if (auto e = read_string(r, f::kId, path, m.id)) return e;
  if (auto e = read_code(r, f::kStatus, path, m.status)) return e;
  if (auto e = read_code(r, f::kIntent, path, m.intent)) return e;
  if (auto e = read_medication(r, path, m)) return e;
  m.json = to_json(r);

  // Dates. MedicationRequest: authoredOn; DSTU2 MedicationOrder: dateWritten / dateEnded; MedicationStatement:
  // dateAsserted and effective[x]. dispenseRequest.validityPeriod bounds a request.
  for (std::string_view name : {f::kAuthoredOn, f::kDateWritten, f::kDateAsserted}) {
    if (m.authored) break;
    if (auto e = read_time(r, name, path, m.authored)) return e;
  }
  if (auto e = read_time(r, f::kDateEnded, path, m.end)) return e;
  if (auto e = read_time(r, f::kEffectiveDateTime, path, m.start)) return e;
  if (auto e = read_period(r, f::kEffectivePeriod, path, m.start, &m.end)) return e;
  if (const Value* dispense = find(r, f::kDispenseRequest)) {
    const std::string p = path_member(path, f::kDispenseRequest);
    if (!dispense->IsObject()) return malformed(p, "expected a dispenseRequest object");
    Time start;
    Time end;
    if (auto e = read_period(*dispense, f::kValidityPeriod, p, start, &end)) return e;
    if (!m.start) m.start = start;
    if (!m.end) m.end = end;
  }

  // Reasons: R4 reasonCode / reasonReference (arrays; the sandbox sends a single object), DSTU2 MedicationOrder
  // reasonCodeableConcept / reasonReference (single), DSTU2 MedicationStatement reasonForUse*, R5 reason
  // (CodeableReference array).
  for (std::string_view name : {f::kReasonCode, f::kReasonCodeableConcept, f::kReasonForUseCodeableConcept}) {
    if (auto e = read_concepts(r, name, path, m.reasons)) return e;
  }
  for (std::string_view name : {f::kReasonReference, f::kReasonForUseReference}) {
    if (auto e = read_references(r, name, path, m.reason_refs)) return e;
  }
  if (const Value* reason = find(r, f::kReason)) {
    const std::string p = path_member(path, f::kReason);
    const bool single = reason->IsObject();
    if (!single && !reason->IsArray()) return malformed(p, "expected an array of CodeableReference");
    note_version(record_, FhirVersion::r5);
    const std::size_t n = single ? 1 : reason->Size();
    for (std::size_t i = 0; i < n; ++i) {
      const Value& item = single ? *reason : (*reason)[static_cast<rapidjson::SizeType>(i)];
      const std::string ip = single ? p : path_index(p, i);
      if (!item.IsObject()) return malformed(ip, "expected a CodeableReference object");
      bool has_concept = false;
      Concept c;
      if (auto e = read_concept_member(item, f::kConcept, ip, c, &has_concept)) return e;
      if (has_concept) m.reasons.push_back(std::move(c));
      if (const Value* ref = find(item, f::kReference)) {
        std::string target;
        if (auto e = read_reference(*ref, path_member(ip, f::kReference), target, nullptr)) return e;
        if (!target.empty()) m.reason_refs.push_back(std::move(target));
      }
    }
  }

  if (auto e =
          read_dosage(r, source == MedicationUse::Source::statement ? f::kDosage : f::kDosageInstruction, path, m)) {
    return e;
  }

  // Not taken: R4 status "not-taken"; STU3 `taken` = "n"; DSTU2 `wasNotTaken`.
  if (auto e = read_bool(r, f::kWasNotTaken, path, m.not_taken)) return e;
  std::string taken;
  if (auto e = read_code(r, f::kTaken, path, taken)) return e;
  if (taken == "n" || m.status == f::kNotTaken) m.not_taken = true;

  if (find(r, f::kWasNotTaken) || find(r, f::kReasonForUseCodeableConcept) || find(r, f::kReasonForUseReference) ||
      (source != MedicationUse::Source::request && find(r, f::kPatient))) {
    note_version(record_, FhirVersion::dstu2);
  } else if (find(r, f::kTaken)) {
    note_version(record_, FhirVersion::stu3);
  }
  if (const Value* di = find(r, f::kDosageInstruction); di && di->IsArray() && !di->Empty() && (*di)[0].IsObject()) {
    if (find((*di)[0], f::kDoseAndRate)) {
      note_version(record_, FhirVersion::r4);
    } else if (source == MedicationUse::Source::request && find((*di)[0], f::kDoseQuantity)) {
      note_version(record_, FhirVersion::stu3);  // STU3 Dosage.doseQuantity moved into doseAndRate in R4
    }
  }

  (draft_ ? record_.draft_medications : record_.medications).push_back(std::move(m));
  return {};
}

Status Reader::read_observation(const Value& r, const std::string& path) {
  Observation o;
  o.path = path;
  if (auto e = read_string(r, f::kId, path, o.id)) return e;
  if (auto e = read_code(r, f::kStatus, path, o.status)) return e;
  if (auto e = read_concept_member(r, f::kCode, path, o.code)) return e;
  if (auto e = read_time(r, f::kEffectiveDateTime, path, o.effective)) return e;
  if (!o.effective) {
    if (auto e = read_period(r, f::kEffectivePeriod, path, o.effective, nullptr)) return e;
  }
  if (!o.effective) {
    if (auto e = read_time(r, f::kEffectiveInstant, path, o.effective)) return e;
  }
  if (!o.effective) {
    if (auto e = read_time(r, f::kIssued, path, o.effective)) return e;
  }
  if (auto e = read_concepts(r, f::kInterpretation, path, o.interpretation)) return e;
  if (const Value* ranges = find(r, f::kReferenceRange)) {
    const std::string rp = path_member(path, f::kReferenceRange);
    if (!ranges->IsArray()) return malformed(rp, "expected an array");
    if (!ranges->Empty()) {
      const Value& range = (*ranges)[0];
      const std::string p0 = path_index(rp, 0);
      if (!range.IsObject()) return malformed(p0, "expected a referenceRange object");
      for (auto [name, out] : {std::pair{f::kLow, &o.reference_low}, std::pair{f::kHigh, &o.reference_high}}) {
        const Value* bound = find(range, name);
        if (!bound) continue;
        if (!bound->IsObject()) return malformed(path_member(p0, name), "expected a Quantity object");
        if (auto e = read_number(*bound, f::kValue, path_member(p0, name), *out)) return e;
      }
      if (auto e = read_string(range, f::kText, p0, o.reference_text)) return e;
    }
  }

  // FHIR Observation.value[x]: "only one of these" — two forms at once is malformed, not a choice to make.
  int forms = 0;
  for (std::string_view name : {f::kValueQuantity, f::kValueCodeableConcept, f::kValueString, f::kValueBoolean,
                                f::kValueInteger, f::kValueRatio}) {
    if (find(r, name)) ++forms;
  }
  if (forms > 1) return malformed(path_member(path, "value[x]"), "more than one value[x]");

  if (const Value* q = find(r, f::kValueQuantity)) {
    const std::string p = path_member(path, f::kValueQuantity);
    if (!q->IsObject()) return malformed(p, "expected a Quantity object");
    if (auto e = read_number(*q, f::kValue, p, o.value_quantity)) return e;
    if (auto e = read_string(*q, f::kUnit, p, o.value_unit)) return e;
    if (o.value_unit.empty()) {
      if (auto e = read_string(*q, f::kCode, p, o.value_unit)) return e;
    }
    if (auto e = read_string(*q, f::kComparator, p, o.value_comparator)) return e;
  } else if (const Value* c = find(r, f::kValueCodeableConcept)) {
    Concept concept_value;
    if (auto e = read_concept(*c, path_member(path, f::kValueCodeableConcept), concept_value)) return e;
    o.value_concept = std::move(concept_value);
  } else if (const Value* s = find(r, f::kValueString)) {
    if (!s->IsString()) return malformed(path_member(path, f::kValueString), "expected a string");
    o.value_string = std::string(view(*s));
  } else if (const Value* b = find(r, f::kValueBoolean)) {
    if (!b->IsBool()) return malformed(path_member(path, f::kValueBoolean), "expected true or false");
    o.value_boolean = b->GetBool();
  } else if (const Value* i = find(r, f::kValueInteger)) {
    if (!i->IsInt64()) return malformed(path_member(path, f::kValueInteger), "expected an integer");
    o.value_quantity = static_cast<double>(i->GetInt64());
  } else if (const Value* ratio = find(r, f::kValueRatio)) {
    const std::string p = path_member(path, f::kValueRatio);
    if (!ratio->IsObject()) return malformed(p, "expected a Ratio object");
    std::optional<double> numerator;
    std::optional<double> denominator;
    for (auto [name, out] : {std::pair{f::kNumerator, &numerator}, std::pair{f::kDenominator, &denominator}}) {
      const Value* part = find(*ratio, name);
      if (!part) continue;
      const std::string pp = path_member(p, name);
      if (!part->IsObject()) return malformed(pp, "expected a Quantity object");
      if (auto e = read_number(*part, f::kValue, pp, *out)) return e;
    }
    if (denominator) {
      if (numerator && *numerator == 0.0) return malformed(path_member(p, f::kNumerator), "ratio numerator is 0");
      o.value_ratio_denominator = *denominator / numerator.value_or(1.0);
    }
  }
  record_.observations.push_back(std::move(o));
  return {};
}

Status Reader::read_immunization(const Value& r, const std::string& path) {
  Immunization im;
  im.path = path;
  if (auto e = read_string(r, f::kId, path, im.id)) return e;
  if (auto e = read_code(r, f::kStatus, path, im.status)) return e;
  if (auto e = read_concept_member(r, f::kVaccineCode, path, im.vaccine)) return e;
  if (auto e = read_time(r, f::kOccurrenceDateTime, path, im.occurrence)) return e;
  if (!im.occurrence) {
    if (auto e = read_time(r, f::kDate, path, im.occurrence)) return e;
  }
  if (auto e = read_bool(r, f::kWasNotGiven, path, im.not_given)) return e;
  if (!im.not_given) {
    if (auto e = read_bool(r, f::kNotGiven, path, im.not_given)) return e;
  }
  if (im.status == f::kNotDoneCode) im.not_given = true;
  if (find(r, f::kWasNotGiven)) {
    note_version(record_, FhirVersion::dstu2);
  } else if (find(r, f::kNotGiven)) {
    note_version(record_, FhirVersion::stu3);
  } else if (find(r, f::kOccurrenceDateTime)) {
    note_version(record_, FhirVersion::r4);
  }
  record_.immunizations.push_back(std::move(im));
  return {};
}

Status Reader::read_procedure(const Value& r, const std::string& path) {
  Procedure p;
  p.path = path;
  if (auto e = read_string(r, f::kId, path, p.id)) return e;
  if (auto e = read_code(r, f::kStatus, path, p.status)) return e;
  if (auto e = read_concept_member(r, f::kCode, path, p.code)) return e;
  if (auto e = read_time(r, f::kPerformedDateTime, path, p.performed)) return e;
  if (!p.performed) {
    if (auto e = read_period(r, f::kPerformedPeriod, path, p.performed, nullptr)) return e;
  }
  // R5 renamed performed[x] to occurrence[x].
  if (find(r, f::kOccurrenceDateTime) || find(r, f::kOccurrencePeriod)) note_version(record_, FhirVersion::r5);
  if (!p.performed) {
    if (auto e = read_time(r, f::kOccurrenceDateTime, path, p.performed)) return e;
  }
  if (!p.performed) {
    if (auto e = read_period(r, f::kOccurrencePeriod, path, p.performed, nullptr)) return e;
  }
  if (auto e = read_bool(r, f::kNotPerformed, path, p.not_done)) return e;
  if (!p.not_done) {
    if (auto e = read_bool(r, f::kNotDone, path, p.not_done)) return e;
  }
  if (p.status == f::kNotDoneCode) p.not_done = true;
  if (find(r, f::kNotPerformed)) {
    note_version(record_, FhirVersion::dstu2);
  } else if (find(r, f::kNotDone)) {
    note_version(record_, FhirVersion::stu3);
  }
  record_.procedures.push_back(std::move(p));
  return {};
}

Status Reader::read_patient(const Value& r, const std::string& path) {
  Patient p;
  if (auto e = read_string(r, f::kId, path, p.id)) return e;
  if (auto e = read_time(r, f::kBirthDate, path, p.birth_date)) return e;
  if (auto e = read_code(r, f::kGender, path, p.gender)) return e;
  if (!record_.patient) record_.patient = std::move(p);  // the first Patient read is the subject
  return {};
}

Status Reader::read_catalog_medication(const Value& r, const std::string& path, std::string_view full_url) {
  Medication m;
  m.path = path;
  m.full_url = std::string(full_url);
  if (auto e = read_string(r, f::kId, path, m.id)) return e;
  if (auto e = read_concept_member(r, f::kCode, path, m.code)) return e;
  record_.medication_catalog.push_back(std::move(m));
  return {};
}

Status Reader::read_other_order(const Value& r, const std::string& path, std::string_view type) {
  OtherOrder o;
  o.resource_type = std::string(type);
  o.path = path;
  if (auto e = read_string(r, f::kId, path, o.id)) return e;
  if (auto e = read_code(r, f::kStatus, path, o.status)) return e;
  if (const Value* code = find(r, f::kCode)) {
    const std::string p = path_member(path, f::kCode);
    if (code->IsObject() && find(*code, f::kConcept)) {  // R5 CodeableReference (ServiceRequest.code)
      if (auto e = read_concept_member(*code, f::kConcept, p, o.code)) return e;
    } else if (auto e = read_concept(*code, p, o.code)) {
      return e;
    }
  }
  record_.draft_other.push_back(std::move(o));
  return {};
}

/// "Medication/123", "http://x/fhir/Medication/123", "Medication/123/_history/2" → "Medication/123".
std::string_view relative_medication_reference(std::string_view ref) {
  if (const auto h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  const auto at = ref.rfind("Medication/");
  if (at == std::string_view::npos || (at > 0 && ref[at - 1] != '/')) return {};
  return ref.substr(at);
}

/// Resolves medication references against every standalone Medication read so far, by fullUrl or
/// "Medication/id" (FHIR R4 §Bundle "Resolving references in Bundles"). Hash lookups: linear in the record.
void resolve_medications(PatientRecord& record) {
  const auto& catalog = record.medication_catalog;
  if (catalog.empty()) return;
  std::vector<std::string> relative;  // owns the "Medication/id" keys; reserved so that views stay valid
  relative.reserve(catalog.size());
  std::unordered_map<std::string_view, const Medication*> by_key;
  for (const Medication& m : catalog) {
    relative.push_back(m.id.empty() ? std::string() : std::string(f::kMedicationType) + "/" + m.id);
    if (!m.full_url.empty()) by_key.emplace(m.full_url, &m);
    if (!relative.back().empty()) by_key.emplace(relative.back(), &m);
  }
  for (auto* uses : {&record.medications, &record.draft_medications}) {
    for (MedicationUse& use : *uses) {
      if (use.medication_reference.empty() || !use.medication.codings.empty()) continue;
      auto it = by_key.find(use.medication_reference);
      if (it == by_key.end()) it = by_key.find(relative_medication_reference(use.medication_reference));
      if (it == by_key.end()) continue;
      Concept code = it->second->code;
      if (code.text.empty()) code.text = use.medication.text;
      use.medication = std::move(code);
    }
  }
}

std::optional<Problem> read_into(const Value& value, std::string_view path, PatientRecord& record, bool draft,
                                 Subject* subject) {
  if (value.IsNull()) return std::nullopt;
  Reader reader{record, draft, subject, {}};
  auto problem = reader.read_resource(value, std::string(path), {}, 0);
  resolve_medications(record);
  return problem;
}

}  // namespace

PrefetchState classify_prefetch(const Value* value) {
  if (value == nullptr) return PrefetchState::absent;
  if (value->IsNull()) return PrefetchState::null_value;
  const Value* type = find(*value, f::kResourceType);
  if (type && type->IsString()) {
    if (view(*type) == f::kOperationOutcome) return PrefetchState::operation_outcome;
    if (view(*type) == f::kBundle) {
      const Value* entries = find(*value, f::kEntry);
      if (!entries || (entries->IsArray() && entries->Empty())) return PrefetchState::empty;
    }
  }
  return PrefetchState::data;
}

std::optional<Problem> read_resources(const Value& value, std::string_view path, PatientRecord& record) {
  return read_into(value, path, record, false, nullptr);
}

std::optional<Problem> read_resources(const Value& value, std::string_view path, PatientRecord& record,
                                      Subject& subject) {
  return read_into(value, path, record, false, &subject);
}

std::optional<Problem> read_draft_orders(const Value& bundle, std::string_view path, PatientRecord& record) {
  return read_into(bundle, path, record, true, nullptr);
}

std::optional<Problem> read_draft_orders(const Value& bundle, std::string_view path, PatientRecord& record,
                                         Subject& subject) {
  return read_into(bundle, path, record, true, &subject);
}

Subject subject_of(std::string_view patient_id, std::string_view fhir_server) {
  Subject s;
  constexpr std::string_view typed = "Patient/";
  if (patient_id.substr(0, typed.size()) == typed) patient_id.remove_prefix(typed.size());
  s.patient_id = std::string(patient_id);
  while (!fhir_server.empty() && fhir_server.back() == '/') fhir_server.remove_suffix(1);
  s.fhir_server = std::string(fhir_server);
  return s;
}

}  // namespace nmo::fhir
