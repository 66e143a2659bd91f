#include "service/gather.hpp"

#include <chrono>
#include <memory>
#include <mutex>

#include "fhir/json.hpp"
#include "fhir/prefetch.hpp"
#include "fhir/record_reader.hpp"
#include "service/fhir_client.hpp"
#include "service/metrics.hpp"

namespace nmo::service {
namespace {

using fhir::Problem;
using fhir::ProblemKind;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kMedicationRequestSearch = "MedicationRequest?";
constexpr std::string_view kMedicationOrderSearch = "MedicationOrder?";

std::string join_keys(const std::vector<std::pair<std::string, std::string>>& keys) {
  std::string out;
  for (const auto& [key, tmpl] : keys) out += (out.empty() ? "" : ", ") + key;
  return out;
}

Problem missing(const PendingCall& call, const std::string& why, std::string detail = {}) {
  return fhir::make_problem(ProblemKind::missing_data, "prefetch",
                            "prefetch data required by this service is missing (" + join_keys(call.missing) +
                                ") and " + why,
                            std::move(detail));
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string dstu2_medications(const std::string& query) {
  return std::string(kMedicationOrderSearch) + query.substr(kMedicationRequestSearch.size());
}

struct Key {
  std::string name;
  std::string query;  // relative to fhirServer
  bool fallback_allowed = false;
  FetchResult result;
  Clock::time_point started;
};

// The outcome label of nmo_fhir_fetch_duration_seconds: a small fixed set, never a URL or a token.
const char* fetch_outcome(const FetchResult& r) {
  using E = FetchResult::Error;
  switch (r.error) {
    case E::none: return "ok";
    case E::refused: return "refused";
    case E::connect: return "connect";
    case E::tls: return "tls";
    case E::timeout: return "timeout";
    case E::http_status: return r.http_status == 401 || r.http_status == 403 ? "unauthorized" : "http_error";
    case E::redirect: return "redirect";
    case E::too_large: return "too_large";
    case E::invalid_json: return "invalid_json";
    case E::too_many_pages:
    case E::too_many_entries: return "too_many";
    default: return "io";
  }
}

// One gather: the keys in flight, completed by the last fetch to answer (on the client's thread).
struct Gathering : std::enable_shared_from_this<Gathering> {
  PendingCall call;
  const Runtime* runtime = nullptr;
  FhirClient* client = nullptr;
  std::string base;  // fhirServer without a trailing '/'
  Clock::time_point deadline;
  GatherDone done;
  std::vector<Key> keys;
  std::mutex mutex;
  std::size_t remaining = 0;

  void fetch(std::size_t i) {
    keys[i].started = Clock::now();
    client->get(base + "/" + keys[i].query, call.access_token,
                std::chrono::milliseconds(runtime->config.fhir.call_timeout_ms), deadline,
                [self = shared_from_this(), i](FetchResult r) { self->on_result(i, std::move(r)); });
  }

  void on_result(std::size_t i, FetchResult result) {
    Key& key = keys[i];
    metrics::record_fetch(fetch_outcome(result),
                          std::chrono::duration<double>(Clock::now() - key.started).count());
    // DSTU2 has MedicationOrder where later versions have MedicationRequest (DSTU2 §MedicationOrder).
    if (key.fallback_allowed && result.error == FetchResult::Error::http_status &&
        (result.http_status == 400 || result.http_status == 404 || result.http_status == 410)) {
      key.fallback_allowed = false;
      key.query = dstu2_medications(key.query);
      return fetch(i);
    }
    key.result = std::move(result);
    {
      std::lock_guard lock(mutex);
      if (--remaining != 0) return;
    }
    complete();
  }

  void complete() {
    std::string failed, detail;
    for (const Key& key : keys) {
      std::string why;
      if (!key.result.ok()) {
        why = key.result.message;
      } else {
        for (const auto& page : key.result.pages) {
          if (std::string_view((*page)["resourceType"].GetString()) == "OperationOutcome") {
            why = "the FHIR server answered an OperationOutcome";
          }
        }
      }
      if (!why.empty()) failed += (failed.empty() ? "" : "; ") + key.name + ": " + why;
    }
    if (!failed.empty()) {
      return finish(fhir::make_problem(ProblemKind::upstream, "prefetch",
                                       "prefetch data required by this service could not be fetched from fhirServer (" +
                                           failed + ")",
                                       "fhirServer " + (parse_url(base) ? parse_url(base)->origin() : "?") + ": " +
                                           failed));
    }
    for (const Key& key : keys) {
      const auto& pages = key.result.pages;
      for (std::size_t p = 0; p < pages.size(); ++p) {
        const std::string path = pages.size() == 1 ? "fetched." + key.name : fhir::path_index("fetched." + key.name + ".page", p);
        if (auto problem = fhir::read_resources(*pages[p], path, call.record)) {
          // The caller's request was fine; the FHIR server's data was not.
          problem->kind = ProblemKind::upstream;
          problem->message = "data fetched from fhirServer is malformed: " + problem->message;
          return finish(std::move(*problem));
        }
      }
    }
    call.missing.clear();
    finish(std::move(call));
  }

  void finish(fhir::Result<PendingCall> result) {
    auto d = std::move(done);
    done = nullptr;
    d(std::move(result));
  }
};

}  // namespace

FhirClientOptions fhir_client_options(const config::Config& config) {
  FhirClientOptions o;
  o.ca_file = config.fhir.ca_file;
  o.max_response_bytes = config.fhir.max_response_bytes;
  o.max_total_bytes = config.fhir.max_total_bytes;
  o.max_pages = config.fhir.max_pages;
  o.max_entries = config.fhir.max_entries;
  o.idle_connections_per_host = config.fhir.idle_connections_per_host;
  o.json_limits.max_bytes = config.fhir.max_response_bytes;
  return o;
}

bool fhir_server_allowed(std::string_view fhir_server, const std::vector<std::string>& allowed) {
  auto server = parse_url(fhir_server);
  if (!server) return false;
  const std::string want = server->origin() + trim_slash(server->target);
  for (const auto& entry : allowed) {
    auto url = parse_url(entry);
    if (url && url->origin() + trim_slash(url->target) == want) return true;
  }
  return false;
}

void gather(PendingCall call, const Runtime& runtime, GatherDone done) {
  if (call.missing.empty()) return done(std::move(call));
  if (call.fhir_server.empty()) return done(missing(call, "the request names no fhirServer to fetch it from"));
  if (!runtime.fhir_client || !fhir_server_allowed(call.fhir_server, runtime.config.fhir.allowed_servers)) {
    return done(missing(call, "fhirServer is not on this service's allowlist (fhir.allowed_servers), so it is not "
                              "contacted"));
  }
  auto g = std::make_shared<Gathering>();
  g->runtime = &runtime;
  g->client = runtime.fhir_client.get();
  g->base = trim_slash(call.fhir_server);
  g->deadline = Clock::now() + std::chrono::milliseconds(runtime.config.fhir.request_deadline_ms);
  fhir::PrefetchContext context{call.input.patient_id, call.input.user_id, call.input.encounter_id};
  for (const auto& [key, tmpl] : call.missing) {
    auto query = fhir::render_prefetch(tmpl, context);
    if (!query) return done(missing(call, "its query cannot be built: " + query.problem().message));
    Key k;
    k.name = key;
    k.query = std::move(*query);
    if (key == "medications" && k.query.rfind(kMedicationRequestSearch, 0) == 0) {
      if (call.record.version == fhir::FhirVersion::dstu2) {
        k.query = dstu2_medications(k.query);
      } else {
        k.fallback_allowed = true;
      }
    }
    g->keys.push_back(std::move(k));
  }
  g->remaining = g->keys.size();
  g->call = std::move(call);
  g->done = std::move(done);
  for (std::size_t i = 0; i < g->keys.size(); ++i) g->fetch(i);
}

}  // namespace nmo::service
