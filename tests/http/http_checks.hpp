#pragma once
// Shared expectations of the HTTP tests: JSON bodies parsed (never compared as strings), the OperationOutcome
// shape of every error, no internal detail in any error body, and the hook-call fixtures.

#include <rapidjson/document.h>
#include <functional>
#include <string>
#include <string_view>

#include "tests/http/http_client.hpp"

namespace nmo::test {

/// The transport the binary under test was built with (CMake's NMO_TRANSPORT).
#ifdef NMO_TEST_TRANSPORT_CPPREST
inline constexpr bool kCpprest = true;
#else
inline constexpr bool kCpprest = false;
#endif
/// cpprestsdk gives no hook before a request's headers are complete and discards pipelined bytes, so the
/// connection policy (header and idle timeouts, pipelining, connection cap, requests per connection) is Beast's
/// alone; README "cpprestsdk transport limitations". Tests of that policy are disabled, and reported as skipped,
/// on a cpprest build.
inline constexpr bool kHasConnectionPolicy = !kCpprest;

/// Parses `text`; a parse error is a test failure (BOOST_REQUIRE) naming the offset and a snippet.
rapidjson::Document parse_json(std::string_view text);
std::string to_json(const rapidjson::Value& value);

/// The text of tests/fixtures/`relative`.
std::string read_fixture(std::string_view relative);
/// `json` parsed, changed by `edit`, and written back.
std::string edit_json(std::string_view json, const std::function<void(rapidjson::Document&)>& edit);

/// Checks `response` is `status` with an OperationOutcome body whose first issue has severity "error", a string
/// code and diagnostics, and — when `path` is not empty — an expression array holding exactly `path`. Also
/// checks the body carries no internal detail.
void check_operation_outcome(const HttpResponse& response, int status, std::string_view path = {});
/// Checks an error body names no exception text, source file, C++ namespace or library.
void check_no_internals(const HttpResponse& response);
/// Checks a 200 hook response: JSON object with a `cards` array whose cards have the members 2.0 requires.
void check_cards_response(const HttpResponse& response);

/// The sandbox's public origin, the one allowed in the CORS tests.
inline constexpr std::string_view kSandboxOrigin = "https://sandbox.cds-hooks.org";

}  // namespace nmo::test
