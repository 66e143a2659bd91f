#include "service/http/router.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "cards/card.hpp"
#include "cards/knowledge_model.hpp"
#include "service/feedback/feedback.hpp"
#include "service/feedback/feedback_store.hpp"
#include "service/feedback/quiet_book.hpp"
#include "service/feedback/report_html.hpp"
#include "service/fetch/gather.hpp"
#include "service/hook_call.hpp"
#include "service/http/http_errors.hpp"
#include "service/ops/log.hpp"
#include "service/ops/metrics.hpp"
#include "service/services.hpp"

namespace nmo::service::http {
namespace {

using fhir::ProblemKind;

enum class Route { discovery, service, feedback, healthz, readyz, metrics, knowledge_page, feedback_page, none };

struct Match {
  Route route = Route::none;
  std::string service_id;
};

constexpr std::string_view kPrefix = "/cds-services";

Match match(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") return {Route::healthz, {}};
  if (path == "/readyz") return {Route::readyz, {}};
  if (path == "/metrics") return {Route::metrics, {}};
  if (path == "/reports/knowledge") return {Route::knowledge_page, {}};
  if (path == "/reports/feedback") return {Route::feedback_page, {}};
  if (path.substr(0, kPrefix.size()) != kPrefix) return {};
  path.remove_prefix(kPrefix.size());
  if (path.empty() || path == "/") return {Route::discovery, {}};
  if (path.front() != '/') return {};
  path.remove_prefix(1);
  const auto slash = path.find('/');
  const std::string_view id = path.substr(0, slash);
  if (id.empty()) return {};
  if (slash == std::string_view::npos) return {Route::service, std::string(id)};
  if (path.substr(slash) == "/feedback") return {Route::feedback, std::string(id)};
  return {};
}

const char* allowed_methods(Route route) {
  switch (route) {
    case Route::discovery:
    case Route::healthz:
    case Route::readyz:
    case Route::metrics:
    case Route::knowledge_page:
    case Route::feedback_page: return "GET, OPTIONS";
    case Route::service:
    case Route::feedback: return "POST, OPTIONS";
    case Route::none: break;
  }
  return "";
}

const char* route_name(Route route) {
  switch (route) {
    case Route::discovery: return "discovery";
    case Route::service: return "service";
    case Route::feedback: return "feedback";
    case Route::healthz: return "healthz";
    case Route::readyz: return "readyz";
    case Route::metrics: return "metrics";
    case Route::knowledge_page: return "knowledge_page";
    case Route::feedback_page: return "feedback_page";
    case Route::none: break;
  }
  return "unknown";
}

// A governance page (service/feedback/report_html.hpp): self-contained, loads nothing.
HttpResponse page(std::string html) {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = std::move(html);
  return r;
}

HttpResponse json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// CDS Hooks 2.0 §HTTP Request: the body is JSON. application/json with parameters, or a +json type, is accepted.
bool is_json_content_type(std::string_view value) {
  std::string v(value.substr(0, value.find(';')));
  v.erase(std::remove_if(v.begin(), v.end(), [](unsigned char c) { return std::isspace(c) != 0; }), v.end());
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "application/json" || (v.rfind("application/", 0) == 0 && v.size() > 5 &&
                                     v.compare(v.size() - 5, 5, "+json") == 0);
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Router::Router(const Runtime& runtime, Listener listener) : runtime_(runtime), listener_(listener) {}

void Router::add_cors(const HttpRequest& request, HttpResponse& response) const {
  const auto& allowed = runtime_.config.cors_allowed_origins;
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
  } else {
    response.headers.emplace_back("Vary", "Origin");
    const std::string_view origin = request.header("origin");
    if (!origin.empty() && std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) {
      response.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    }
  }
  response.headers.emplace_back("Access-Control-Expose-Headers", "Content-Type");
}

HttpResponse Router::route(const HttpRequest& request, RequestInfo& info,
                           std::optional<PendingCall>& pending) const {
  Match m = match(request.target);
  // /metrics and the governance pages only on the admin listener (metrics are an authentication oracle
  // otherwise: failures by reason), and only health, metrics and the pages there.
  const bool admin_only =
      m.route == Route::metrics || m.route == Route::knowledge_page || m.route == Route::feedback_page;
  const bool admin_route = admin_only || m.route == Route::healthz || m.route == Route::readyz;
  if (listener_ == Listener::admin ? !admin_route : admin_only) m = Match{};
  info.route = route_name(m.route);
  if (m.route == Route::none) return error_response(ProblemKind::not_found, "no such resource");

  if (request.method == "OPTIONS") {
    // CORS preflight, answered without authentication (a browser never sends credentials on it).
    HttpResponse r;
    r.status = 204;
    r.content_type.clear();
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept");
    r.headers.emplace_back("Access-Control-Max-Age", "600");
    // Chrome's Private Network Access preflight for a public page calling a local service.
    if (request.header("access-control-request-private-network") == "true") {
      r.headers.emplace_back("Access-Control-Allow-Private-Network", "true");
    }
    return r;
  }
  const std::string_view allow = allowed_methods(m.route);
  const std::string_view expected = allow.substr(0, allow.find(','));
  if (request.method != expected) {
    HttpResponse r = error_response(ProblemKind::method, "method not allowed");
    r.headers.emplace_back("Allow", std::string(allow));
    return r;
  }

  switch (m.route) {
    case Route::healthz: return json(200, R"({"status":"ok"})");
    case Route::readyz:
      return ready_.load() ? json(200, R"({"status":"ready"})") : json(503, R"({"status":"stopping"})");
    case Route::discovery: return json(200, discovery_json());
    case Route::metrics: {
      HttpResponse r = json(200, ops::metrics::render());
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return r;
    }
    case Route::knowledge_page: return page(feedback::knowledge_report_html(*runtime_.knowledge));
    case Route::feedback_page:
      if (!runtime_.feedback_page) return error_response(ProblemKind::not_found, "no feedback store here");
      try {
        return page(runtime_.feedback_page());
      } catch (const feedback::FeedbackStoreError& e) {
        ops::log::write(ops::log::Level::error, "feedback_store_failed", {{"detail", e.what()}});
        return error_response(ProblemKind::unavailable, "the feedback store is unavailable");
      }
    default: break;
  }

  const ServiceDef* service = find_service(m.service_id);
  if (service == nullptr) return error_response(ProblemKind::not_found, "no such CDS service");
  info.service = service->id;
  if (!is_json_content_type(request.header("content-type"))) {
    return error_response(ProblemKind::media_type, "Content-Type must be application/json");
  }
  if (m.route == Route::feedback) return feedback(service->id, request, info);
  auto call = begin_hook(*service, request.body, runtime_, now_seconds(), &info.hook_instance);
  if (call) call->caller = info.caller;
  if (call && call->needs_fetch()) {
    pending = std::move(*call);  // answered later, once gathered
    return {};
  }
  return hook_response(call ? fhir::Result<HookOutcome>(finish_hook(*call, runtime_))
                            : fhir::Result<HookOutcome>(call.problem()),
                       info);
}

HttpResponse Router::hook_response(fhir::Result<HookOutcome> outcome, RequestInfo& info) const {
  const std::string& name = info.route;
  if (!outcome) {
    if (!outcome.problem().detail.empty()) {
      ops::log::write(ops::log::Level::warn, "request_problem",
                 {{"route", name}, {"path", outcome.problem().path}, {"detail", outcome.problem().detail}});
    }
    return problem_response(outcome.problem());
  }
  info.hook_instance = outcome->hook_instance;
  info.patient = ops::log::pseudonym(outcome->patient_id);
  info.cards = static_cast<std::int64_t>(outcome->rules.size());
  info.parse_s = outcome->parse_seconds;
  info.gather_s = outcome->gather_seconds;
  info.evaluate_s = outcome->evaluate_seconds;
  info.write_s = outcome->write_seconds;
  ops::metrics::record_stage(ops::metrics::Stage::parse, outcome->parse_seconds);
  ops::metrics::record_stage(ops::metrics::Stage::gather, outcome->gather_seconds);
  ops::metrics::record_stage(ops::metrics::Stage::evaluate, outcome->evaluate_seconds);
  ops::metrics::record_stage(ops::metrics::Stage::write, outcome->write_seconds);
  for (const auto& rule : outcome->quieted) info.quieted += (info.quieted.empty() ? "" : ",") + rule;
  for (std::size_t i = 0; i < outcome->rules.size(); ++i) {
    info.rules += (info.rules.empty() ? "" : ",") + outcome->rules[i];
    ops::metrics::record_card(outcome->rules[i], outcome->indicators[i]);
  }
  return json(200, std::move(outcome->body));
}

// CDS Hooks 2.0 §Feedback: validated, then stored durably before the 200; the rule comes from the card uuid.
HttpResponse Router::feedback(const std::string& service_id, const HttpRequest& request, RequestInfo& info) const {
  auto entries = feedback::parse_feedback(request.body, runtime_.json_limits);
  if (!entries) return problem_response(entries.problem());
  if (!runtime_.feedback_store) return error_response(ProblemKind::unavailable, "no feedback store");
  std::vector<feedback::FeedbackRecord> records;
  for (auto& entry : *entries) {
    feedback::FeedbackRecord r;
    r.service_id = service_id;
    if (const unsigned number = cards::rule_number_of_card_uuid(entry.card); number != 0) {
      for (const auto& rule : runtime_.knowledge->rules()) {
        if (cards::rule_number(rule.id) == number) r.rule = rule.id;
      }
    }
    r.entry = std::move(entry);
    records.push_back(std::move(r));
  }
  std::vector<bool> fresh;
  try {
    fresh = runtime_.feedback_store->put(records);
  } catch (const feedback::FeedbackStoreError& e) {
    ops::log::write(ops::log::Level::error, "feedback_store_failed", {{"detail", e.what()}});
    ops::metrics::record_feedback_store_error();
    return error_response(ProblemKind::unavailable, "the feedback store is unavailable; retry later");
  }
  if (runtime_.quiet) runtime_.quiet->poke();  // overrides quiet this replica's next calls at once
  std::int64_t stored = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string& rule = records[i].rule.empty() ? std::string("unknown") : records[i].rule;
    if (i < fresh.size() && fresh[i]) {
      ++stored;
      ops::metrics::record_feedback(rule, records[i].entry.outcome);
    }
    if (info.rules.find(rule) == std::string::npos) info.rules += (info.rules.empty() ? "" : ",") + rule;
  }
  info.cards = stored;
  HttpResponse r = json(200, "");
  r.content_type.clear();
  return r;
}

bool Router::host_allowed(std::string_view host) const {
  if (host.empty()) return true;  // HTTP/1.0 only (the transport refuses HTTP/1.1 without Host); browsers send one
  std::string_view name = host;
  std::string_view port;
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
  }
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower != "localhost" && lower != "127.0.0.1" && lower != "[::1]") return false;
  return port.empty() || port == std::to_string(port_.load());
}

void Router::handle(HttpRequest request, Responder done) const {
  // Development mode trusts loopback callers, so a page that rebinds its own name to 127.0.0.1 must not be able
  // to call: its Host names it (RFC 9110 §15.5.20: 421 Misdirected Request).
  if (listener_ == Listener::public_api && runtime_.config.auth.mode == "development" &&
      !host_allowed(request.header("host"))) {
    HttpResponse r = error_response(ProblemKind::invalid, "this service answers to localhost only");
    r.status = 421;
    RequestInfo info;
    info.route = route_name(match(request.target).route);
    done(complete(request, std::move(r), info, "refused", std::chrono::steady_clock::now()));
    return;
  }
  if (!needs_auth(request)) {
    dispatch(std::move(request), "", "", std::move(done));
    return;
  }
  if (!runtime_.authenticator) {
    done(refuse(request, auth::jwt::reason_code(auth::jwt::Reason::not_configured)));
    return;
  }
  // Authenticated on its headers already (check_head): never twice, or the jti would count as replayed.
  if (request.grant) {
    const auto outcome = std::static_pointer_cast<const auth::AuthOutcome>(request.grant);
    authenticated(std::move(request), *outcome, std::move(done));
    return;
  }
  auto shared = std::make_shared<HttpRequest>(std::move(request));
  runtime_.authenticator->authenticate(credentials(*shared),
                                       [this, shared, done = std::move(done)](auth::AuthOutcome outcome) {
                                         authenticated(std::move(*shared), outcome, done);
                                       });
}

bool Router::needs_auth(const HttpRequest& request) const {
  const Route route = match(request.target).route;
  return listener_ == Listener::public_api && request.method != "OPTIONS" &&
         (route == Route::discovery || route == Route::service || route == Route::feedback);
}

auth::Credentials Router::credentials(const HttpRequest& request) const {
  const std::string_view target = request.target;
  return {request.header("authorization"), request.remote_is_loopback, target.substr(0, target.find('?'))};
}

void Router::check_head(const HttpRequest& head, std::function<void(HeadDecision)> done) const {
  // Required mode only: a development-mode refusal would also answer before the 421 Host check of handle().
  if (!needs_auth(head) || !runtime_.authenticator ||
      runtime_.authenticator->options().mode != auth::AuthMode::required) {
    done({});
    return;
  }
  auto held = std::make_shared<HttpRequest>(head);  // outlives an asynchronous jku fetch
  runtime_.authenticator->authenticate(credentials(*held), [this, held, done = std::move(done)](auth::AuthOutcome o) {
    HeadDecision decision;
    if (o.ok()) {
      decision.grant = std::make_shared<const auth::AuthOutcome>(std::move(o));
    } else {
      decision.refusal = refuse(*held, auth::jwt::reason_code(o.reason));
    }
    done(std::move(decision));
  });
}

void Router::authenticated(HttpRequest request, const auth::AuthOutcome& outcome, Responder done) const {
  if (!outcome.ok()) {
    done(refuse(request, auth::jwt::reason_code(outcome.reason)));
    return;
  }
  // Once a minute at most, with the number of such calls since the last line.
  static ops::log::Every unsigned_warning(std::chrono::minutes(1));
  std::int64_t calls = 0;
  if (outcome.unsigned_call && unsigned_warning.due(std::chrono::steady_clock::now(), calls)) {
    ops::log::write(ops::log::Level::warn, "unsigned_call",
                    {{"route", route_name(match(request.target).route)},
                     {"message", "development mode: accepted a call without a JWT from loopback"},
                     {"count", calls}});
  }
  dispatch(std::move(request), outcome.unsigned_call ? "unsigned" : "jwt",
           outcome.unsigned_call ? "unsigned" : outcome.iss, std::move(done));
}

HttpResponse Router::refuse(const HttpRequest& request, const char* reason) const {
  // CDS Hooks 2.0 §Trusting CDS Clients: a bare 401; which check failed goes to the log only (never the token).
  HttpResponse response = error_response(ProblemKind::unauthorized, "");
  add_cors(request, response);
  ops::metrics::record_auth_failure(reason);
  ops::metrics::record_request(route_name(match(request.target).route), response.status, 0.0);
  ops::log::write(ops::log::Level::info, "request",
             {{"method", request.method},
              {"route", route_name(match(request.target).route)},
              {"status", static_cast<std::int64_t>(response.status)},
              {"auth", "refused"},
              {"reason", reason}});
  return response;
}

void Router::dispatch(HttpRequest request, std::string auth, std::string caller, Responder done) const {
  const auto start = std::chrono::steady_clock::now();
  RequestInfo info;
  info.caller = std::move(caller);
  std::optional<PendingCall> pending;
  HttpResponse response;
  try {
    response = route(request, info, pending);
  } catch (const std::exception& e) {
    ops::log::write(ops::log::Level::error, "internal_error", {{"route", info.route}, {"detail", e.what()}});
    response = error_response(ProblemKind::internal, "internal error");
    pending.reset();
  }
  if (!pending) {
    done(complete(request, std::move(response), info, auth, start));
    return;
  }
  auto held = std::make_shared<HttpRequest>(std::move(request));
  held->body = {};  // parsed already; only the head is needed to answer (CORS, log line)
  const auto gather_start = std::chrono::steady_clock::now();
  gather_call(std::move(*pending), runtime_,
         [this, held, done = std::move(done), info, auth, start, gather_start](
             fhir::Result<PendingCall> gathered) mutable {
           HttpResponse response;
           try {
             if (gathered) {
               gathered->gather_seconds =
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - gather_start).count();
             }
             response = hook_response(gathered ? fhir::Result<HookOutcome>(finish_hook(*gathered, runtime_))
                                               : fhir::Result<HookOutcome>(gathered.problem()),
                                      info);
           } catch (const std::exception& e) {
             ops::log::write(ops::log::Level::error, "internal_error", {{"route", info.route}, {"detail", e.what()}});
             response = error_response(ProblemKind::internal, "internal error");
           }
           done(complete(*held, std::move(response), info, auth, start));
         });
}

HttpResponse Router::complete(const HttpRequest& request, HttpResponse response, const RequestInfo& info,
                              std::string_view auth, std::chrono::steady_clock::time_point start) const {
  add_cors(request, response);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string& service = info.service.empty() ? info.route : info.service;
  ops::metrics::record_request(service, response.status, seconds);
  const std::string& name = info.route;
  if (ops::log::enabled(ops::log::Level::info) && name != "healthz" && name != "readyz" && name != "metrics") {
    const bool reached_engine = info.parse_s >= 0;  // a CDS service call: stage timings and patient too
    std::vector<ops::log::Field> fields = {{"method", request.method},
                                      {"route", name},
                                      {"service", service},
                                      {"status", static_cast<std::int64_t>(response.status)},
                                      {"ms", seconds * 1000.0}};
    if (reached_engine) {
      fields.insert(fields.end(), {{"parse_ms", info.parse_s * 1000.0},
                                   {"gather_ms", info.gather_s * 1000.0},
                                   {"evaluate_ms", info.evaluate_s * 1000.0},
                                   {"write_ms", info.write_s * 1000.0}});
    }
    fields.push_back({"hookInstance", info.hook_instance});
    if (reached_engine) fields.push_back({"patient", info.patient});
    fields.insert(fields.end(), {{"cards", info.cards}, {"rules", info.rules}});
    if (!info.quieted.empty()) fields.push_back({"quieted", info.quieted});
    fields.push_back({"auth", auth});
    ops::log::write(ops::log::Level::info, "request", fields);
  }
  return response;
}


HttpResponse Router::transport_error(int status, std::string_view message, const HttpRequest& request) const {
  ProblemKind kind = ProblemKind::invalid;
  if (status == 413) kind = ProblemKind::too_large;
  if (status == 503) kind = ProblemKind::unavailable;
  else if (status >= 500) kind = ProblemKind::internal;
  HttpResponse response = error_response(kind, message);
  response.status = status;
  add_cors(request, response);
  ops::metrics::record_request("transport", status, 0.0);
  ops::log::write(ops::log::Level::info, "request",
             {{"method", request.method}, {"route", "transport"}, {"service", "transport"},
              {"status", static_cast<std::int64_t>(status)}});
  return response;
}

}  // namespace nmo::service::http
