#pragma once
// What request handling needs, built once at start-up and shared read-only by all worker threads.

#include <memory>

#include "cards/knowledge_base.hpp"
#include "config/service_config.hpp"
#include "fhir/json.hpp"

namespace nmo::service {

class FhirClient;

struct Runtime {
  config::Config config;
  std::shared_ptr<const cards::KnowledgeBase> knowledge;
  fhir::JsonLimits json_limits;
  /// Set when config.fhir.allowed_servers is not empty; null: missing prefetch data is never fetched.
  std::shared_ptr<FhirClient> fhir_client;
};

/// JSON limits from the configuration.
fhir::JsonLimits json_limits_from(const config::Config& config);

}  // namespace nmo::service
