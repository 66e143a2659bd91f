#include "fhir/prefetch.hpp"

#include <array>
#include <optional>
#include <string>
#include <utility>

namespace nmo::fhir {
namespace {

enum class Token {
  patient_id,
  encounter_id,
  user_id,
  user_practitioner_id,
  user_practitioner_role_id,
  user_patient_id,
  user_related_person_id,
};

struct TokenName {
  std::string_view name;
  Token token;
  std::string_view user_type;  // for the user tokens: the resource type of userId they apply to
};

// CDS Hooks 2.0 §Prefetch tokens: "Only root-level fields with a primitive value within the context object are
// eligible to be used as prefetch tokens", plus the user tokens: "{{userPractitionerId}} ... {{userPractitionerRoleId}}
// ... {{userPatientId}} ... {{userRelatedPersonId}}". Hooks define patientId, encounterId and userId as tokens.
constexpr std::array<TokenName, 7> kTokens{{
    {"context.patientId", Token::patient_id, {}},
    {"context.encounterId", Token::encounter_id, {}},
    {"context.userId", Token::user_id, {}},
    {"userPractitionerId", Token::user_practitioner_id, "Practitioner"},
    {"userPractitionerRoleId", Token::user_practitioner_role_id, "PractitionerRole"},
    {"userPatientId", Token::user_patient_id, "Patient"},
    {"userRelatedPersonId", Token::user_related_person_id, "RelatedPerson"},
}};

const TokenName* lookup(std::string_view name) {
  for (const TokenName& t : kTokens) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// RFC 3986 §2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"; everything else is percent-encoded.
void append_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
}

/// userId split into type and id: "Practitioner/123" → {"Practitioner", "123"}. An absolute URL keeps its last
/// two segments. No '/' → no type.
std::pair<std::string_view, std::string_view> split_user(std::string_view user_id) {
  const auto slash = user_id.rfind('/');
  if (slash == std::string_view::npos) return {{}, user_id};
  std::string_view type = user_id.substr(0, slash);
  if (const auto prev = type.rfind('/'); prev != std::string_view::npos) type = type.substr(prev + 1);
  return {type, user_id.substr(slash + 1)};
}

struct Scan {
  std::size_t open;   // position of "{{"
  std::size_t close;  // position of "}}"
  std::string_view name;
};

/// Finds the next token at or after `from`; nullopt at the end; `broken` when a "{{" has no "}}".
std::optional<Scan> next_token(std::string_view tmpl, std::size_t from, bool& broken) {
  const auto open = tmpl.find("{{", from);
  if (open == std::string_view::npos) return std::nullopt;
  const auto close = tmpl.find("}}", open + 2);
  if (close == std::string_view::npos) {
    broken = true;
    return std::nullopt;
  }
  return Scan{open, close, tmpl.substr(open + 2, close - open - 2)};
}

}  // namespace

Result<std::string> render_prefetch(std::string_view tmpl, const PrefetchContext& ctx) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  const auto [user_type, user_id] = split_user(ctx.user_id);
  std::size_t pos = 0;
  bool broken = false;
  while (auto scan = next_token(tmpl, pos, broken)) {
    out.append(tmpl.substr(pos, scan->open - pos));
    const TokenName* token = lookup(scan->name);
    const std::string shown = "{{" + std::string(scan->name) + "}}";
    if (!token) {
      return make_problem(ProblemKind::missing_data, "", "prefetch template uses an unsupported token " + shown,
                          "unknown prefetch token");
    }
    std::string_view value;
    switch (token->token) {
      case Token::patient_id:
        value = ctx.patient_id;
        break;
      case Token::encounter_id:
        value = ctx.encounter_id;
        break;
      case Token::user_id:
        value = ctx.user_id;
        break;
      default:
        value = user_type == token->user_type ? user_id : std::string_view();
        break;
    }
    if (value.empty()) {
      return make_problem(ProblemKind::missing_data, "", "no value for prefetch token " + shown,
                          "empty prefetch token value");
    }
    if (token->token == Token::user_id && ctx.user_id.find('/') != std::string::npos &&
        ctx.user_id.find('/') == ctx.user_id.rfind('/')) {
      // CDS Hooks 2.0 §Hooks: userId is "Type/id" already (cds-hooks/docs#410): keep its '/' so the value works
      // as a path or a reference search, and encode each part.
      append_encoded(out, user_type);
      out.push_back('/');
      append_encoded(out, user_id);
    } else {
      append_encoded(out, value);
    }
    pos = scan->close + 2;
  }
  if (broken) {
    return make_problem(ProblemKind::invalid, "", "prefetch template has an unterminated {{ token",
                        "unterminated prefetch token");
  }
  out.append(tmpl.substr(pos));
  return out;
}

bool prefetch_template_valid(std::string_view tmpl) {
  std::size_t pos = 0;
  bool broken = false;
  while (auto scan = next_token(tmpl, pos, broken)) {
    if (!lookup(scan->name)) return false;
    pos = scan->close + 2;
  }
  return !broken;
}

}  // namespace nmo::fhir
