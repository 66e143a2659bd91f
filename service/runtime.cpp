#include "service/runtime.hpp"

namespace nmo::service {

fhir::JsonLimits json_limits_from(const config::Config& config) {
  fhir::JsonLimits limits;
  limits.max_bytes = config.limits.max_body_bytes;
  limits.max_depth = config.limits.json_max_depth;
  limits.max_string_bytes = config.limits.json_max_string_bytes;
  limits.max_array_items = config.limits.json_max_array_items;
  limits.max_values = config.limits.json_max_values;
  return limits;
}

}  // namespace nmo::service
