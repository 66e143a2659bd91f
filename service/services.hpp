#pragma once
// The CDS services this product offers (CDS Hooks 2.0 §Discovery) and their prefetch templates.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cards/hook_input.hpp"

namespace nmo::service {

struct ServiceDef {
  std::string id;
  cards::Hook hook;
  std::string hook_name;  // "patient-view", ...
  std::string title;
  std::string description;
  std::vector<std::pair<std::string, std::string>> prefetch;  // key → template
};

const std::vector<ServiceDef>& services();
const ServiceDef* find_service(std::string_view id);
const ServiceDef* find_service_by_hook(std::string_view hook_name);

/// {"services":[...]} — built once.
const std::string& discovery_json();

}  // namespace nmo::service
