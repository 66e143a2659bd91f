#include "service/http/transport.hpp"

namespace nmo::service::http {

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace nmo::service::http
