#include "service/hook_call.hpp"

#include <cctype>
#include <chrono>
#include <future>
#include <optional>

#include "cards/card.hpp"
#include "cards/engine.hpp"
#include "fhir/record_reader.hpp"
#include "service/gather.hpp"

namespace nmo::service {
namespace {

using fhir::Problem;
using fhir::ProblemKind;

Problem invalid(std::string path, std::string message) {
  return fhir::make_problem(ProblemKind::invalid, std::move(path), std::move(message));
}

std::string str(const rapidjson::Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// A required, non-empty string member.
std::optional<Problem> require_string(const rapidjson::Value& obj, const char* name, const std::string& path,
                                      std::string* out) {
  const rapidjson::Value* v = member(obj, name);
  if (v == nullptr) return invalid(path, path + " is required");
  if (!v->IsString() || v->GetStringLength() == 0) return invalid(path, path + " must be a non-empty string");
  if (out != nullptr) *out = str(*v);
  return std::nullopt;
}

// Hook context per the CDS Hooks library (patient-view, order-select, order-sign).
std::optional<Problem> read_context(const ServiceDef& service, const rapidjson::Value& context,
                                    cards::HookInput& input) {
  if (auto p = require_string(context, "userId", "context.userId", &input.user_id)) return p;
  if (auto p = require_string(context, "patientId", "context.patientId", &input.patient_id)) return p;
  if (const rapidjson::Value* enc = member(context, "encounterId")) {
    if (!enc->IsString()) return invalid("context.encounterId", "context.encounterId must be a string");
    input.encounter_id = str(*enc);
  }
  if (service.hook == cards::Hook::patient_view) return std::nullopt;

  const rapidjson::Value* drafts = member(context, "draftOrders");
  if (drafts == nullptr) return invalid("context.draftOrders", "context.draftOrders is required");
  if (!drafts->IsObject()) return invalid("context.draftOrders", "context.draftOrders must be a FHIR Bundle");
  if (service.hook == cards::Hook::order_select) {
    const rapidjson::Value* sel = member(context, "selections");
    if (sel == nullptr) return invalid("context.selections", "context.selections is required");
    if (!sel->IsArray()) return invalid("context.selections", "context.selections must be an array of strings");
    for (rapidjson::SizeType i = 0; i < sel->Size(); ++i) {
      const auto& s = (*sel)[i];
      const std::string path = fhir::path_index("context.selections", i);
      if (!s.IsString() || s.GetStringLength() == 0) return invalid(path, path + " must be a non-empty string");
      input.selections.push_back(str(s));
    }
  }
  return std::nullopt;
}

std::optional<Problem> check_fhir_access(const rapidjson::Value& doc, PendingCall& call) {
  const rapidjson::Value* server = member(doc, "fhirServer");
  if (server != nullptr && (!server->IsString() || server->GetStringLength() == 0)) {
    return invalid("fhirServer", "fhirServer must be a non-empty string");
  }
  if (server != nullptr) call.fhir_server = str(*server);
  const rapidjson::Value* auth = member(doc, "fhirAuthorization");
  if (auth == nullptr) return std::nullopt;
  // CDS Hooks 2.0 §HTTP Request: "fhirServer ... REQUIRED if fhirAuthorization is provided".
  if (server == nullptr) return invalid("fhirServer", "fhirServer is required when fhirAuthorization is present");
  if (!auth->IsObject()) return invalid("fhirAuthorization", "fhirAuthorization must be an object");
  const rapidjson::Value* token = member(*auth, "access_token");
  if (token == nullptr || !token->IsString() || token->GetStringLength() == 0) {
    return invalid("fhirAuthorization.access_token", "fhirAuthorization.access_token must be a non-empty string");
  }
  const rapidjson::Value* type = member(*auth, "token_type");
  if (type == nullptr || !type->IsString()) {
    return invalid("fhirAuthorization.token_type", "fhirAuthorization.token_type must be a string");
  }
  call.access_token = str(*token);
  return std::nullopt;
}

// Prefetch as sent, read into the record. Keys the client left out, or answered with an OperationOutcome, are
// listed in call.missing, to be fetched from fhirServer by gather() (CDS Hooks 2.0 §Prefetch: "the CDS Service
// ... MUST ... obtain the data itself").
std::optional<Problem> read_prefetch(const ServiceDef& service, const rapidjson::Value& doc, PendingCall& call) {
  fhir::PatientRecord& record = call.record;
  const rapidjson::Value* prefetch = member(doc, "prefetch");
  if (prefetch != nullptr && !prefetch->IsObject()) return invalid("prefetch", "prefetch must be an object");
  for (const auto& [key, tmpl] : service.prefetch) {
    const rapidjson::Value* value = prefetch == nullptr ? nullptr : member(*prefetch, key.c_str());
    switch (fhir::classify_prefetch(value)) {
      case fhir::PrefetchState::absent:
      case fhir::PrefetchState::operation_outcome:
        call.missing.emplace_back(key, tmpl);
        break;
      case fhir::PrefetchState::null_value:
      case fhir::PrefetchState::empty:
        break;
      case fhir::PrefetchState::data:
        if (auto p = fhir::read_resources(*value, "prefetch." + key, record)) return p;
        break;
    }
  }
  return std::nullopt;
}

}  // namespace

bool is_uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : std::isxdigit(static_cast<unsigned char>(t[i])) == 0) return false;
  }
  return true;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

fhir::Result<PendingCall> begin_hook(const ServiceDef& service, std::string_view body, const Runtime& runtime,
                                     std::int64_t now) {
  const auto start = Clock::now();
  auto parsed = fhir::parse_json(body, runtime.json_limits);
  if (!parsed) return parsed.problem();
  const rapidjson::Document& doc = *parsed;
  if (!doc.IsObject()) return invalid("", "the request body must be a JSON object");

  PendingCall call;
  call.service = &service;
  cards::HookInput& input = call.input;
  input.hook = service.hook;
  input.service_id = service.id;
  input.now = now;

  const rapidjson::Value* hook = member(doc, "hook");
  if (hook == nullptr) return invalid("hook", "hook is required");
  if (!hook->IsString()) return invalid("hook", "hook must be a string");
  if (str(*hook) != service.hook_name) {
    return invalid("hook", "this service answers the " + service.hook_name + " hook");
  }
  const rapidjson::Value* instance = member(doc, "hookInstance");
  if (instance == nullptr) return invalid("hookInstance", "hookInstance is required");
  if (!instance->IsString() || !is_uuid(std::string_view(instance->GetString(), instance->GetStringLength()))) {
    return invalid("hookInstance", "hookInstance must be a UUID");
  }
  input.hook_instance = str(*instance);

  const rapidjson::Value* context = member(doc, "context");
  if (context == nullptr) return invalid("context", "context is required");
  if (!context->IsObject()) return invalid("context", "context must be an object");
  if (auto p = read_context(service, *context, input)) return *p;
  if (auto p = check_fhir_access(doc, call)) return *p;

  if (auto p = read_prefetch(service, doc, call)) return *p;
  if (service.hook != cards::Hook::patient_view) {
    if (auto p = fhir::read_draft_orders(context->FindMember("draftOrders")->value, "context.draftOrders",
                                         call.record)) {
      return *p;
    }
  }
  call.parse_seconds = seconds_since(start);
  return call;
}

HookOutcome finish_hook(const PendingCall& call, const Runtime& runtime) {
  cards::HookInput input = call.input;
  if (call.record.version != fhir::FhirVersion::unknown) input.fhir_version = call.record.version;
  auto stage = Clock::now();
  const std::vector<cards::Card> cards = cards::evaluate(input, call.record, *runtime.knowledge);
  HookOutcome outcome;
  outcome.evaluate_seconds = seconds_since(stage);
  stage = Clock::now();
  outcome.hook_instance = input.hook_instance;
  outcome.patient_id = input.patient_id;
  outcome.body = cards::write_response(cards);
  for (const auto& c : cards) {
    outcome.rules.push_back(c.rule_id);
    outcome.indicators.emplace_back(cards::indicator_name(c.indicator));
  }
  outcome.write_seconds = seconds_since(stage);
  outcome.parse_seconds = call.parse_seconds;
  outcome.gather_seconds = call.gather_seconds;
  return outcome;
}

fhir::Result<HookOutcome> call_hook(const ServiceDef& service, std::string_view body, const Runtime& runtime,
                                    std::int64_t now) {
  auto call = begin_hook(service, body, runtime, now);
  if (!call) return call.problem();
  std::promise<fhir::Result<PendingCall>> gathered;
  auto future = gathered.get_future();
  const auto start = Clock::now();
  gather(std::move(*call), runtime, [&gathered](fhir::Result<PendingCall> result) {
    gathered.set_value(std::move(result));
  });
  auto complete = future.get();
  if (!complete) return complete.problem();
  complete->gather_seconds = seconds_since(start);
  return finish_hook(*complete, runtime);
}

}  // namespace nmo::service
