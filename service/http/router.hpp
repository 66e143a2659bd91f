#pragma once
// The one route table (CDS Hooks 2.0 §Discovery, §Calling a CDS Service, §Feedback, plus health endpoints),
// CORS on every response, and the request log line. Thread-safe: handle() is const and shares only the Runtime.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "service/hook_call.hpp"
#include "service/http/transport.hpp"
#include "service/runtime.hpp"

namespace nmo::service::http {

/// What one request did, for its log line and metrics.
struct RequestInfo {
  std::string route;        // route name: discovery, service, feedback, metrics, healthz, readyz, unknown
  std::string service;      // the CDS service id when the route names a known one
  std::string hook_instance;
  std::string caller;       // Router::dispatch's caller; becomes PendingCall::caller
  std::string rules;        // rule ids of the cards returned, comma-separated
  std::string quieted;      // rule ids of the cards quieted (overridden, in their quiet period), comma-separated
  std::string patient;      // ops::log::pseudonym of context.patientId
  std::int64_t cards = -1;  // cards returned (service), entries stored (feedback); -1: not applicable
  double parse_s = -1, gather_s = -1, evaluate_s = -1, write_s = -1;  // stage timings; -1: not reached
};

/// Which listener a Router answers for (issue 11 items 6 and 7): the public one (CDS Hooks, and /healthz and
/// /readyz for compatibility) or the admin one (/healthz, /readyz and /metrics only; loopback by default), which
/// public traffic and its connection caps cannot starve, and which keeps the metrics off the public port.
enum class Listener { public_api, admin };

class Router final : public Handler {
 public:
  explicit Router(const Runtime& runtime, Listener listener = Listener::public_api);
  /// Discovery, service and feedback calls are authenticated first (CDS Hooks 2.0 §Trusting CDS Clients);
  /// OPTIONS preflight, /healthz, /readyz and unknown routes are not. A refused call gets a bare 401. Answers at
  /// once, except a hook call whose prefetch lacks data: it is validated first, then the data is gathered from
  /// fhirServer and `done` is called from the FHIR client's thread (within fhir.request_deadline_ms).
  void handle(HttpRequest request, Responder done) const override;
  /// In auth.mode required, authenticates a discovery, service or feedback call on its headers (issue 11 item 2):
  /// a refused call is answered 401 before its body is read; an accepted one carries the outcome as its grant.
  void check_head(const HttpRequest& head, std::function<void(HeadDecision)> done) const override;
  HttpResponse transport_error(int status, std::string_view message, const HttpRequest& request) const override;
  /// readyz answers 503 when not ready (e.g. while stopping).
  void set_ready(bool ready) { ready_.store(ready); }
  /// The port the public listener is bound to: in development mode, Host must name it (or none) with a loopback
  /// name (DNS rebinding; issue 11 item 10).
  void set_port(std::uint16_t port) { port_.store(port); }

 private:
  HttpResponse route(const HttpRequest& request, RequestInfo& info, std::optional<PendingCall>& pending) const;
  HttpResponse hook_response(fhir::Result<HookOutcome> outcome, RequestInfo& info) const;
  HttpResponse feedback(const std::string& service_id, const HttpRequest& request, RequestInfo& info) const;
  /// CORS, metrics and the request log line.
  HttpResponse complete(const HttpRequest& request, HttpResponse response, const RequestInfo& info,
                        std::string_view auth, std::chrono::steady_clock::time_point start) const;
  void add_cors(const HttpRequest& request, HttpResponse& response) const;
  /// Routes a request that needs no authentication or has passed it.
  // `caller`: the verified JWT iss, "unsigned" (development mode), or "" (a route without authentication).
  void dispatch(HttpRequest request, std::string auth, std::string caller, Responder done) const;
  HttpResponse refuse(const HttpRequest& request, const char* reason) const;
  bool needs_auth(const HttpRequest& request) const;
  auth::Credentials credentials(const HttpRequest& request) const;
  /// Routes a call whose authentication gave `outcome`.
  void authenticated(HttpRequest request, const auth::AuthOutcome& outcome, Responder done) const;
  /// Development mode on the public listener: whether Host is localhost, 127.0.0.1 or [::1] with our port.
  bool host_allowed(std::string_view host) const;

  const Runtime& runtime_;
  Listener listener_;
  std::atomic<bool> ready_{true};
  std::atomic<std::uint16_t> port_{0};
};

}  // namespace nmo::service::http
