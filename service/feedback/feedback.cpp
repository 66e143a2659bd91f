#include "service/feedback/feedback.hpp"

#include <cctype>
#include <optional>

namespace nmo::service::feedback {
namespace {

using fhir::Problem;
using fhir::ProblemKind;

Problem invalid(std::string path, std::string message) {
  return fhir::make_problem(ProblemKind::invalid, std::move(path), std::move(message));
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string str(const rapidjson::Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

bool digits(std::string_view t, std::size_t pos, std::size_t n) {
  if (pos + n > t.size()) return false;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (std::isdigit(static_cast<unsigned char>(t[i])) == 0) return false;
  }
  return true;
}

// Issue 11 item 9: feedback text is refused when it holds NUL or another control character (C0 or DEL); a
// comment may keep tabs and line breaks. PostgreSQL text cannot hold NUL, and the report and logs are text.
bool has_control_character(std::string_view text, bool multiline) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (multiline && (c == '\t' || c == '\n' || c == '\r')) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

std::optional<Problem> control_character_problem(const FeedbackEntry& e, const std::string& path) {
  const auto bad = [](const std::string& p) { return invalid(p, p + " must not contain control characters"); };
  if (has_control_character(e.card, false)) return bad(path + ".card");
  for (std::size_t i = 0; i < e.accepted_suggestions.size(); ++i) {
    if (has_control_character(e.accepted_suggestions[i], false)) {
      return bad(fhir::path_index(path + ".acceptedSuggestions", i) + ".id");
    }
  }
  const std::string reason = path + ".overrideReason";
  if (has_control_character(e.override_system, false)) return bad(reason + ".reason.system");
  if (has_control_character(e.override_code, false)) return bad(reason + ".reason.code");
  if (has_control_character(e.override_display, false)) return bad(reason + ".reason.display");
  if (has_control_character(e.user_comment, true)) return bad(reason + ".userComment");
  return std::nullopt;
}

// Reads an optional string member into `out`; a non-string is a Problem.
std::optional<Problem> optional_string(const rapidjson::Value& obj, const char* name, const std::string& path,
                                       std::string& out) {
  const rapidjson::Value* v = member(obj, name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsString()) return invalid(path, path + " must be a string");
  out = str(*v);
  return std::nullopt;
}

std::optional<Problem> read_entry(const rapidjson::Value& e, const std::string& path, FeedbackEntry& out) {
  if (!e.IsObject()) return invalid(path, path + " must be an object");
  const rapidjson::Value* card = member(e, "card");
  if (card == nullptr || !card->IsString() || card->GetStringLength() == 0) {
    return invalid(path + ".card", path + ".card must be the card's uuid");
  }
  out.card = str(*card);
  const rapidjson::Value* outcome = member(e, "outcome");
  if (outcome == nullptr || !outcome->IsString() ||
      (str(*outcome) != "accepted" && str(*outcome) != "overridden")) {
    return invalid(path + ".outcome", path + ".outcome must be \"accepted\" or \"overridden\"");
  }
  out.outcome = str(*outcome);

  const std::string sugg_path = path + ".acceptedSuggestions";
  const rapidjson::Value* sugg = member(e, "acceptedSuggestions");
  if (sugg != nullptr) {
    if (!sugg->IsArray()) return invalid(sugg_path, sugg_path + " must be an array");
    for (rapidjson::SizeType i = 0; i < sugg->Size(); ++i) {
      const std::string p = fhir::path_index(sugg_path, i);
      const auto& s = (*sugg)[i];
      const rapidjson::Value* id = s.IsObject() ? member(s, "id") : nullptr;
      if (id == nullptr || !id->IsString() || id->GetStringLength() == 0) {
        return invalid(p + ".id", p + ".id must be the suggestion's uuid");
      }
      out.accepted_suggestions.push_back(str(*id));
    }
  }
  // CDS Hooks 2.0 §Suggestion accepted: "acceptedSuggestions ... REQUIRED" when the outcome is accepted.
  if (out.outcome == "accepted" && out.accepted_suggestions.empty()) {
    return invalid(sugg_path, sugg_path + " is required when the outcome is accepted");
  }

  if (const rapidjson::Value* reason = member(e, "overrideReason")) {
    const std::string rp = path + ".overrideReason";
    if (!reason->IsObject()) return invalid(rp, rp + " must be an object");
    if (const rapidjson::Value* coding = member(*reason, "reason")) {
      if (!coding->IsObject()) return invalid(rp + ".reason", rp + ".reason must be a Coding");
      // The public sandbox sends {code, system} only: display is optional here.
      if (auto p = optional_string(*coding, "system", rp + ".reason.system", out.override_system)) return p;
      if (auto p = optional_string(*coding, "code", rp + ".reason.code", out.override_code)) return p;
      if (auto p = optional_string(*coding, "display", rp + ".reason.display", out.override_display)) return p;
      if (out.override_code.empty()) return invalid(rp + ".reason.code", rp + ".reason.code is required");
    }
    if (auto p = optional_string(*reason, "userComment", rp + ".userComment", out.user_comment)) return p;
  }

  const std::string ts_path = path + ".outcomeTimestamp";
  const rapidjson::Value* ts = member(e, "outcomeTimestamp");
  if (ts == nullptr) return invalid(ts_path, ts_path + " is required");
  if (!ts->IsString() || !is_rfc3339(std::string_view(ts->GetString(), ts->GetStringLength()))) {
    return invalid(ts_path, ts_path + " must be an RFC 3339 date-time");
  }
  out.outcome_timestamp = str(*ts);
  return control_character_problem(out, path);
}

}  // namespace

bool is_rfc3339(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  if (!digits(t, 0, 4) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2) || t[7] != '-' || !digits(t, 8, 2) ||
      (t[10] != 'T' && t[10] != 't') || !digits(t, 11, 2) || t[13] != ':' || !digits(t, 14, 2) || t[16] != ':' ||
      !digits(t, 17, 2)) {
    return false;
  }
  const int month = (t[5] - '0') * 10 + (t[6] - '0');
  const int day = (t[8] - '0') * 10 + (t[9] - '0');
  const int hour = (t[11] - '0') * 10 + (t[12] - '0');
  const int minute = (t[14] - '0') * 10 + (t[15] - '0');
  const int second = (t[17] - '0') * 10 + (t[18] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  std::size_t pos = 19;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos])) != 0) ++pos;
    if (pos == start) return false;
  }
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) return pos + 1 == t.size();
  if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    return pos + 6 == t.size() && digits(t, pos + 1, 2) && t[pos + 3] == ':' && digits(t, pos + 4, 2);
  }
  return false;
}

fhir::Result<std::vector<FeedbackEntry>> parse_feedback(std::string_view body, const fhir::JsonLimits& limits) {
  auto parsed = fhir::parse_json(body, limits);
  if (!parsed) return parsed.problem();
  const rapidjson::Document& doc = *parsed;
  if (!doc.IsObject()) return invalid("", "the request body must be a JSON object");
  const rapidjson::Value* list = member(doc, "feedback");
  if (list == nullptr) return invalid("feedback", "feedback is required");
  if (!list->IsArray() || list->Empty()) return invalid("feedback", "feedback must be a non-empty array");
  std::vector<FeedbackEntry> entries(list->Size());
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    if (auto p = read_entry((*list)[i], fhir::path_index("feedback", i), entries[i])) return *p;
  }
  return entries;
}

}  // namespace nmo::service::feedback
