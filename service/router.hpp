#pragma once
// The one route table (CDS Hooks 2.0 §Discovery, §Calling a CDS Service, §Feedback, plus health endpoints),
// CORS on every response, and the request log line. Thread-safe: handle() is const and shares only the Runtime.

#include <atomic>

#include "service/runtime.hpp"
#include "service/transport.hpp"

namespace nmo::service {

class Router final : public Handler {
 public:
  explicit Router(const Runtime& runtime);
  void handle(HttpRequest request, Responder done) const override;
  /// The same, synchronously (for callers without a transport).
  HttpResponse handle_now(const HttpRequest& request) const;
  HttpResponse transport_error(int status, std::string_view message, const HttpRequest& request) const override;
  /// readyz answers 503 when not ready (e.g. while stopping).
  void set_ready(bool ready) { ready_.store(ready); }

 private:
  HttpResponse route(const HttpRequest& request, std::string& route_name, std::string& hook_instance,
                     std::string& rules) const;
  void add_cors(const HttpRequest& request, HttpResponse& response) const;

  const Runtime& runtime_;
  std::atomic<bool> ready_{true};
};

}  // namespace nmo::service
