#include "service/router.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <future>
#include <memory>

#include "service/feedback.hpp"
#include "service/gather.hpp"
#include "service/hook_call.hpp"
#include "service/http_errors.hpp"
#include "service/log.hpp"
#include "service/services.hpp"

namespace nmo::service {
namespace {

using fhir::ProblemKind;

enum class Route { discovery, service, feedback, healthz, readyz, none };

struct Match {
  Route route = Route::none;
  std::string service_id;
};

constexpr std::string_view kPrefix = "/cds-services";

Match match(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") return {Route::healthz, {}};
  if (path == "/readyz") return {Route::readyz, {}};
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
    case Route::readyz: return "GET, OPTIONS";
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
    case Route::none: break;
  }
  return "unknown";
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

Router::Router(const Runtime& runtime) : runtime_(runtime) {}

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

HttpResponse Router::route(const HttpRequest& request, std::string& name, std::string& hook_instance,
                           std::string& rules, std::optional<PendingCall>& pending) const {
  const Match m = match(request.target);
  name = route_name(m.route);
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
    default: break;
  }

  const ServiceDef* service = find_service(m.service_id);
  if (service == nullptr) return error_response(ProblemKind::not_found, "no such CDS service");
  if (!is_json_content_type(request.header("content-type"))) {
    return error_response(ProblemKind::media_type, "Content-Type must be application/json");
  }
  if (m.route == Route::feedback) {
    auto entries = parse_feedback(request.body, runtime_);
    if (!entries) return problem_response(entries.problem());
    HttpResponse r = json(200, "");
    r.content_type.clear();
    return r;
  }
  auto call = begin_hook(*service, request.body, runtime_, now_seconds());
  if (call && !call->missing.empty()) {
    pending = std::move(*call);  // answered later, once gathered
    return {};
  }
  return hook_response(call ? fhir::Result<HookOutcome>(finish_hook(*call, runtime_))
                            : fhir::Result<HookOutcome>(call.problem()),
                       name, hook_instance, rules);
}

HttpResponse Router::hook_response(fhir::Result<HookOutcome> outcome, const std::string& name,
                                   std::string& hook_instance, std::string& rules) const {
  if (!outcome) {
    if (!outcome.problem().detail.empty()) {
      log::write(log::Level::warn, "request_problem",
                 {{"route", name}, {"path", outcome.problem().path}, {"detail", outcome.problem().detail}});
    }
    return problem_response(outcome.problem());
  }
  hook_instance = outcome->hook_instance;
  for (const auto& r : outcome->rules) rules += (rules.empty() ? "" : ",") + r;
  return json(200, std::move(outcome->body));
}

void Router::handle(HttpRequest request, Responder done) const {
  const auto start = std::chrono::steady_clock::now();
  std::string name, hook_instance, rules;
  std::optional<PendingCall> pending;
  HttpResponse response;
  try {
    response = route(request, name, hook_instance, rules, pending);
  } catch (const std::exception& e) {
    log::write(log::Level::error, "internal_error", {{"route", name}, {"detail", e.what()}});
    response = error_response(ProblemKind::internal, "internal error");
    pending.reset();
  }
  if (!pending) {
    done(complete(request, std::move(response), name, hook_instance, rules, start));
    return;
  }
  auto held = std::make_shared<HttpRequest>(std::move(request));
  held->body = {};  // parsed already; only the head is needed to answer (CORS, log line)
  gather(std::move(*pending), runtime_,
         [this, held, done = std::move(done), name, start](fhir::Result<PendingCall> gathered) {
           std::string hook_instance, rules;
           HttpResponse response;
           try {
             response = hook_response(gathered ? fhir::Result<HookOutcome>(finish_hook(*gathered, runtime_))
                                               : fhir::Result<HookOutcome>(gathered.problem()),
                                      name, hook_instance, rules);
           } catch (const std::exception& e) {
             log::write(log::Level::error, "internal_error", {{"route", name}, {"detail", e.what()}});
             response = error_response(ProblemKind::internal, "internal error");
           }
           done(complete(*held, std::move(response), name, hook_instance, rules, start));
         });
}

HttpResponse Router::handle_now(const HttpRequest& request) const {
  std::promise<HttpResponse> answer;
  auto future = answer.get_future();
  handle(request, [&answer](HttpResponse response) { answer.set_value(std::move(response)); });
  return future.get();
}

HttpResponse Router::complete(const HttpRequest& request, HttpResponse response, const std::string& name,
                              const std::string& hook_instance, const std::string& rules,
                              std::chrono::steady_clock::time_point start) const {
  add_cors(request, response);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (log::enabled(log::Level::info) && name != "healthz" && name != "readyz") {
    log::write(log::Level::info, "request",
               {{"method", request.method},
                {"route", name},
                {"status", static_cast<std::int64_t>(response.status)},
                {"ms", ms},
                {"hookInstance", hook_instance},
                {"rules", rules}});
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
  log::write(log::Level::info, "request",
             {{"method", request.method}, {"route", "transport"}, {"status", static_cast<std::int64_t>(status)}});
  return response;
}

}  // namespace nmo::service
