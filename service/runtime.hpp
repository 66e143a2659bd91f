#pragma once
// What request handling needs, built once at start-up and shared read-only by all worker threads.

#include <functional>
#include <memory>
#include <string>

#include "cards/knowledge_base.hpp"
#include "config/service_config.hpp"
#include "fhir/json.hpp"
#include "service/auth/auth.hpp"  // Authenticator (its counts feed metrics)

namespace nmo::service {

namespace feedback {
class FeedbackStore;
class QuietBook;
}
namespace fetch {
class FhirClient;
}

struct Runtime {
  config::Config config;
  std::shared_ptr<const cards::KnowledgeBase> knowledge;
  fhir::JsonLimits json_limits;
  std::shared_ptr<feedback::FeedbackStore> feedback_store;  // serve only; null elsewhere (feedback is then 503)
  /// Overrides in memory (serve with quiet.mode on); null: every card is shown.
  std::shared_ptr<feedback::QuietBook> quiet;
  /// Verifies the JWT of discovery, service and feedback calls; null refuses them all (401).
  std::shared_ptr<const auth::Authenticator> authenticator;
  /// Set when config.fhir.allowed_servers is not empty; null: missing prefetch data is never fetched.
  std::shared_ptr<fetch::FhirClient> fhir_client;
  /// The feedback governance page (HTML), read from the stores when asked; null: not served. Throws
  /// feedback::FeedbackStoreError when the store cannot be read.
  std::function<std::string()> feedback_page;
};

/// JSON limits from the configuration.
fhir::JsonLimits json_limits_from(const config::Config& config);

}  // namespace nmo::service
