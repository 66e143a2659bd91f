#pragma once
// The one route table (CDS Hooks 2.0 §Discovery, §Calling a CDS Service, §Feedback, plus health endpoints),
// CORS on every response, and the request log line. Thread-safe: handle() is const and shares only the Runtime.

#include <atomic>
#include <chrono>
#include <optional>

#include "service/hook_call.hpp"
#include "service/runtime.hpp"
#include "service/transport.hpp"

namespace nmo::service {

class Router final : public Handler {
 public:
  explicit Router(const Runtime& runtime);
  /// Answers at once, except a hook call whose prefetch lacks data: it is validated first, then the data is
  /// gathered from fhirServer and `done` is called from the FHIR client's thread (within fhir.request_deadline_ms).
  void handle(HttpRequest request, Responder done) const override;
  /// The same, blocking until the answer (for callers without a transport).
  HttpResponse handle_now(const HttpRequest& request) const;
  HttpResponse transport_error(int status, std::string_view message, const HttpRequest& request) const override;
  /// readyz answers 503 when not ready (e.g. while stopping).
  void set_ready(bool ready) { ready_.store(ready); }

 private:
  HttpResponse route(const HttpRequest& request, std::string& route_name, std::string& hook_instance,
                     std::string& rules, std::optional<PendingCall>& pending) const;
  HttpResponse hook_response(fhir::Result<HookOutcome> outcome, const std::string& route_name,
                             std::string& hook_instance, std::string& rules) const;
  /// CORS and the request log line.
  HttpResponse complete(const HttpRequest& request, HttpResponse response, const std::string& route_name,
                        const std::string& hook_instance, const std::string& rules,
                        std::chrono::steady_clock::time_point start) const;
  void add_cors(const HttpRequest& request, HttpResponse& response) const;

  const Runtime& runtime_;
  std::atomic<bool> ready_{true};
};

}  // namespace nmo::service
