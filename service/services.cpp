#include "service/services.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nmo::service {
namespace {

// CDS Hooks 2.0 §Prefetch Template: only root-level context tokens; "{{context.userId}}" is already Type/id.
// Queries stay within the spec's required subset: type-level searches with token parameters and _count.
std::vector<std::pair<std::string, std::string>> chart_prefetch() {
  return {
      {"patient", "Patient/{{context.patientId}}"},
      {"conditions", "Condition?patient={{context.patientId}}"},
      {"medications", "MedicationRequest?patient={{context.patientId}}"},
      {"observations", "Observation?patient={{context.patientId}}&category=laboratory"},
      {"immunizations", "Immunization?patient={{context.patientId}}"},
      {"procedures", "Procedure?patient={{context.patientId}}"},
  };
}

std::vector<ServiceDef> make_services() {
  return {
      {"nmosd-patient-view", cards::Hook::patient_view, "patient-view", "NMOSD therapy review",
       "Neuromyelitis optica spectrum disorder: checks AQP4-IgG status, relapse-preventive therapy, older "
       "immunosuppressants while newer agents are available, MS therapies that worsen NMOSD, acute attacks, "
       "refractory disease and safety monitoring.",
       chart_prefetch()},
      {"nmosd-order-select", cards::Hook::order_select, "order-select", "NMOSD order check",
       "Neuromyelitis optica spectrum disorder: judges the selected draft orders — suggests replacing older "
       "immunosuppressants with newer agents, stops MS therapies that worsen NMOSD, flags missing "
       "prerequisites (meningococcal vaccination, hepatitis B, TB and IgG screening) and AQP4 status.",
       chart_prefetch()},
      {"nmosd-order-sign", cards::Hook::order_sign, "order-sign", "NMOSD order check at signing",
       "Neuromyelitis optica spectrum disorder: the order checks of nmosd-order-select applied to every draft "
       "order at signing, for clients that only fire order-sign.",
       chart_prefetch()},
  };
}

std::string make_discovery() {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("services");
  w.StartArray();
  for (const auto& s : services()) {
    w.StartObject();
    w.Key("hook");
    w.String(s.hook_name);
    w.Key("title");
    w.String(s.title);
    w.Key("description");
    w.String(s.description);
    w.Key("id");
    w.String(s.id);
    w.Key("prefetch");
    w.StartObject();
    for (const auto& [key, tmpl] : s.prefetch) {
      w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
      w.String(tmpl);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

const std::vector<ServiceDef>& services() {
  static const std::vector<ServiceDef> all = make_services();
  return all;
}

const ServiceDef* find_service(std::string_view id) {
  for (const auto& s : services()) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const ServiceDef* find_service_by_hook(std::string_view hook_name) {
  for (const auto& s : services()) {
    if (s.hook_name == hook_name) return &s;
  }
  return nullptr;
}

const std::string& discovery_json() {
  static const std::string json = make_discovery();
  return json;
}

}  // namespace nmo::service
