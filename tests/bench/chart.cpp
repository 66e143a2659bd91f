#include "chart.hpp"

#include <array>
#include <cstdio>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nmo::bench {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kSct = "http://snomed.info/sct";
constexpr std::string_view kLoinc = "http://loinc.org";
constexpr std::string_view kRx = "http://www.nlm.nih.gov/research/umls/rxnorm";
constexpr std::string_view kCvx = "http://hl7.org/fhir/sid/cvx";
constexpr std::string_view kClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";

struct Code {
  std::string_view code;
  std::string_view display;
};

// Filler vocabularies: real codes a neurology patient's chart carries, none of them NMOSD-relevant.
constexpr std::array<Code, 5> kConditions{{{"38341003", "Hypertensive disorder"},
                                           {"44054006", "Diabetes mellitus type 2"},
                                           {"37796009", "Migraine"},
                                           {"35489007", "Depressive disorder"},
                                           {"55822004", "Hyperlipidemia"}}};
constexpr std::array<Code, 6> kLabs{{{"2345-7", "Glucose [Mass/volume] in Serum or Plasma"},
                                     {"718-7", "Hemoglobin [Mass/volume] in Blood"},
                                     {"2160-0", "Creatinine [Mass/volume] in Serum or Plasma"},
                                     {"1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum"},
                                     {"6690-2", "Leukocytes [#/volume] in Blood"},
                                     {"777-3", "Platelets [#/volume] in Blood"}}};
constexpr std::array<Code, 4> kMeds{{{"29046", "lisinopril"}, {"6809", "metformin"}, {"36567", "simvastatin"},
                                     {"321988", "escitalopram"}}};
constexpr std::array<Code, 3> kVaccines{{{"141", "Influenza, seasonal, injectable"},
                                         {"208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose"},
                                         {"115", "Tdap"}}};
constexpr std::array<Code, 2> kProcedures{{{"816077007", "MRI of brain"}, {"241601008", "MRI of spinal cord"}}};

void str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
void key(Writer& w, std::string_view s) { w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void codeable(Writer& w, std::string_view system, const Code& c, bool with_text = true) {
  w.StartObject();
  key(w, "coding");
  w.StartArray();
  w.StartObject();
  key(w, "system"), str(w, system);
  key(w, "code"), str(w, c.code);
  key(w, "display"), str(w, c.display);
  w.EndObject();
  w.EndArray();
  if (with_text) key(w, "text"), str(w, c.display);
  w.EndObject();
}

void subject(Writer& w, std::string_view member = "subject") {
  key(w, member);
  w.StartObject();
  key(w, "reference"), str(w, "Patient/pat");
  w.EndObject();
}

// A date in 2015..2026 that depends only on i.
std::string date(std::size_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04zu-%02zu-%02zu", 2015 + i % 12, 1 + i % 12, 1 + i % 28);
  return buf;
}

void begin(Writer& w, std::string_view type, const std::string& id) {
  w.StartObject();
  key(w, "fullUrl"), str(w, "urn:uuid:" + id);
  key(w, "resource");
  w.StartObject();
  key(w, "resourceType"), str(w, type);
  key(w, "id"), str(w, id);
}

void end(Writer& w) {
  w.EndObject();
  w.EndObject();
}

void condition(Writer& w, const std::string& id, std::string_view system, const Code& c, const std::string& onset) {
  begin(w, "Condition", id);
  subject(w);
  key(w, "clinicalStatus"), codeable(w, kClinical, {"active", "Active"}, false);
  key(w, "code"), codeable(w, system, c);
  key(w, "onsetDateTime"), str(w, onset);
  key(w, "recordedDate"), str(w, onset);
  end(w);
}

void medication(Writer& w, const std::string& id, const Code& c, std::string_view status, const std::string& start) {
  begin(w, "MedicationRequest", id);
  key(w, "status"), str(w, status);
  key(w, "intent"), str(w, "order");
  subject(w);
  key(w, "medicationCodeableConcept"), codeable(w, kRx, c);
  key(w, "authoredOn"), str(w, start);
  key(w, "dispenseRequest");
  w.StartObject();
  key(w, "validityPeriod");
  w.StartObject();
  key(w, "start"), str(w, start);
  w.EndObject();
  w.EndObject();
  end(w);
}

void lab(Writer& w, const std::string& id, std::size_t i) {
  begin(w, "Observation", id);
  key(w, "status"), str(w, "final");
  subject(w);
  key(w, "code"), codeable(w, kLoinc, kLabs[i % kLabs.size()]);
  key(w, "effectiveDateTime"), str(w, date(i));
  key(w, "valueQuantity");
  w.StartObject();
  key(w, "value"), w.Double(50.0 + static_cast<double>((i * 37) % 100) / 4.0);
  key(w, "unit"), str(w, "mg/dL");
  key(w, "system"), str(w, "http://unitsofmeasure.org");
  key(w, "code"), str(w, "mg/dL");
  w.EndObject();
  end(w);
}

void immunization(Writer& w, const std::string& id, std::size_t i) {
  begin(w, "Immunization", id);
  key(w, "status"), str(w, "completed");
  subject(w, "patient");
  key(w, "vaccineCode"), codeable(w, kCvx, kVaccines[i % kVaccines.size()]);
  key(w, "occurrenceDateTime"), str(w, date(i));
  end(w);
}

void procedure(Writer& w, const std::string& id, std::size_t i) {
  begin(w, "Procedure", id);
  key(w, "status"), str(w, "completed");
  subject(w);
  key(w, "code"), codeable(w, kSct, kProcedures[i % kProcedures.size()]);
  key(w, "performedDateTime"), str(w, date(i));
  end(w);
}

enum class Kind { condition, medication, observation, immunization, procedure };
// The filler mix per 20 resources: labs 8, medications 5, conditions 3, vaccines 2, procedures 2.
constexpr std::array<Kind, 20> kMix{
    Kind::observation, Kind::medication, Kind::observation, Kind::condition,  Kind::observation,
    Kind::medication,  Kind::immunization, Kind::observation, Kind::procedure, Kind::medication,
    Kind::observation, Kind::condition,  Kind::observation, Kind::medication, Kind::immunization,
    Kind::observation, Kind::procedure,  Kind::medication,  Kind::observation, Kind::condition};

void bundle(Writer& w, std::string_view name, Kind kind, std::size_t resources) {
  key(w, name);
  w.StartObject();
  key(w, "resourceType"), str(w, "Bundle");
  key(w, "type"), str(w, "searchset");
  key(w, "entry");
  w.StartArray();
  // The story: NMOSD, AQP4-IgG positive, on azathioprine since 2021.
  if (kind == Kind::condition) {
    condition(w, "nmosd-1", kSct, {"25044007", "Neuromyelitis optica (disorder)"}, "2021-03-10");
  } else if (kind == Kind::observation) {
    begin(w, "Observation", "aqp4-1");
    key(w, "status"), str(w, "final");
    subject(w);
    key(w, "code"), codeable(w, kLoinc, {"43638-6", "Aquaporin 4 water channel IgG Ab [Presence] in Serum or Plasma"});
    key(w, "effectiveDateTime"), str(w, "2021-03-12");
    key(w, "valueCodeableConcept"), codeable(w, kSct, {"10828004", "Positive"});
    end(w);
  } else if (kind == Kind::medication) {
    medication(w, "aza-1", {"1256", "azathioprine"}, "active", "2021-04-01");
  }
  for (std::size_t i = 0; i + 4 < resources; ++i) {
    if (kMix[i % kMix.size()] != kind) continue;
    std::string id = std::to_string(i);
    id.insert(id.begin(), 'f');  // not "f" + to_string(i): GCC 12 -Wrestrict false positive
    switch (kind) {
      case Kind::condition:
        condition(w, id, kSct, kConditions[i % kConditions.size()], date(i));
        break;
      case Kind::medication:
        medication(w, id, kMeds[i % kMeds.size()], i % 3 == 0 ? "active" : "completed", date(i));
        break;
      case Kind::observation:
        lab(w, id, i);
        break;
      case Kind::immunization:
        immunization(w, id, i);
        break;
      case Kind::procedure:
        procedure(w, id, i);
        break;
    }
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string make_chart_request(std::size_t resources, ChartHook hook) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "hookInstance"), str(w, "3f2c1e6a-8b1d-4c2e-9a7f-5d6e7f8a9b0c");
  key(w, "hook"), str(w, hook == ChartHook::patient_view ? "patient-view" : "order-select");
  key(w, "fhirServer"), str(w, "https://fhir.example.org/r4");
  key(w, "context");
  w.StartObject();
  key(w, "userId"), str(w, "Practitioner/example");
  key(w, "patientId"), str(w, "pat");
  if (hook == ChartHook::order_select) {
    key(w, "selections");
    w.StartArray();
    str(w, "MedicationRequest/draft-1");
    w.EndArray();
    key(w, "draftOrders");
    w.StartObject();
    key(w, "resourceType"), str(w, "Bundle");
    key(w, "type"), str(w, "collection");
    key(w, "entry");
    w.StartArray();
    medication(w, "draft-1", {"1256", "azathioprine"}, "draft", "2026-11-24");
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  key(w, "prefetch");
  w.StartObject();
  key(w, "patient");
  w.StartObject();
  key(w, "resourceType"), str(w, "Patient");
  key(w, "id"), str(w, "pat");
  key(w, "gender"), str(w, "female");
  key(w, "birthDate"), str(w, "1980-05-02");
  w.EndObject();
  bundle(w, "conditions", Kind::condition, resources);
  bundle(w, "medications", Kind::medication, resources);
  bundle(w, "observations", Kind::observation, resources);
  bundle(w, "immunizations", Kind::immunization, resources);
  bundle(w, "procedures", Kind::procedure, resources);
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace nmo::bench
