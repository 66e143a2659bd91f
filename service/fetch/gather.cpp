#include "service/fetch/gather.hpp"

#include <chrono>
#include <memory>
#include <mutex>

#include "service/ops/metrics.hpp"

namespace nmo::service::fetch {
namespace {

using fhir::Problem;
using fhir::ProblemKind;
using Clock = std::chrono::steady_clock;

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// The outcome label of nmo_fhir_fetch_duration_seconds: a small fixed set, never a URL or a token.
const char* fetch_outcome(const FetchResult& r) {
  using E = FetchResult::Error;
  switch (r.error) {
    case E::none:
      return "ok";
    case E::refused:
      return "refused";
    case E::connect:
      return "connect";
    case E::tls:
      return "tls";
    case E::timeout:
      return "timeout";
    case E::http_status:
      return r.http_status == 401 || r.http_status == 403 ? "unauthorized" : "http_error";
    case E::redirect:
      return "redirect";
    case E::too_large:
      return "too_large";
    case E::invalid_json:
      return "invalid_json";
    case E::too_many_pages:
    case E::too_many_entries:
      return "too_many";
    default:
      return "io";
  }
}

struct Running {
  Search search;
  FetchResult result;
  Clock::time_point started;
};

// One gather: the searches in flight, completed by the last fetch to answer (on the client's thread).
struct Gathering : std::enable_shared_from_this<Gathering> {
  FetchPlan plan;
  FhirClient* client = nullptr;
  std::string base;  // fhirServer without a trailing '/'
  GatherDone done;
  std::vector<Running> searches;
  std::mutex mutex;
  std::size_t remaining = 0;

  void fetch(std::size_t i) {
    searches[i].started = Clock::now();
    const Search& search = searches[i].search;
    client->get(search.url.empty() ? base + "/" + search.query : search.url, base, plan.access_token, plan.call_timeout,
                plan.deadline, [self = shared_from_this(), i](FetchResult r) { self->on_result(i, std::move(r)); });
  }

  void on_result(std::size_t i, FetchResult result) {
    Running& running = searches[i];
    ops::metrics::record_fetch(fetch_outcome(result),
                               std::chrono::duration<double>(Clock::now() - running.started).count());
    Search& search = running.search;
    if (!search.fallback_query.empty() && result.error == FetchResult::Error::http_status &&
        (result.http_status == 400 || result.http_status == 404 || result.http_status == 410)) {
      search.query = std::move(search.fallback_query);
      search.fallback_query.clear();
      return fetch(i);
    }
    running.result = std::move(result);
    {
      std::lock_guard lock(mutex);
      if (--remaining != 0) return;
    }
    complete();
  }

  void complete() {
    std::string failed;
    for (const Running& running : searches) {
      std::string why;
      if (!running.result.ok()) {
        why = running.result.message;
      } else {
        for (const auto& page : running.result.pages) {
          if (std::string_view((*page)["resourceType"].GetString()) == "OperationOutcome") {
            why = "the FHIR server answered an OperationOutcome";
          }
        }
      }
      if (!why.empty()) failed += (failed.empty() ? "" : "; ") + running.search.key + ": " + why;
    }
    if (!failed.empty()) {
      return finish(fhir::make_problem(
          ProblemKind::upstream, "prefetch",
          "prefetch data required by this service could not be fetched from fhirServer (" + failed + ")",
          "fhirServer " + (parse_url(base) ? parse_url(base)->origin() : "?") + ": " + failed));
    }
    std::vector<Fetched> fetched;
    fetched.reserve(searches.size());
    for (Running& running : searches) fetched.push_back({running.search.key, std::move(running.result.pages)});
    finish(std::move(fetched));
  }

  void finish(fhir::Result<std::vector<Fetched>> result) {
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

void gather(FetchPlan plan, FhirClient& client, GatherDone done) {
  if (plan.searches.empty()) return done(std::vector<Fetched>{});
  auto g = std::make_shared<Gathering>();
  g->client = &client;
  g->base = trim_slash(plan.fhir_server);
  for (Search& search : plan.searches) g->searches.push_back({std::move(search), {}, {}});
  plan.searches.clear();
  g->plan = std::move(plan);
  g->remaining = g->searches.size();
  g->done = std::move(done);
  for (std::size_t i = 0; i < g->searches.size(); ++i) g->fetch(i);
}

}  // namespace nmo::service::fetch
