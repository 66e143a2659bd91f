#include "cards/card.hpp"

#include <cstdint>
#include <cstring>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nmo::cards {

namespace {

// rapidjson's Writer, with strings escaped run by run (memcpy between the characters that need an escape) instead
// of character by character: the same bytes (its escapes: \" \\ \b \f \n \r \t, other control characters as
// \u00XX; everything else as it is), at a fraction of the cost on card texts (issue 14).
class JsonWriter : public rapidjson::Writer<rapidjson::StringBuffer> {
 public:
  using Writer::Writer;

  void text(std::string_view s) {
    Prefix(rapidjson::kStringType);
    static constexpr char kHex[] = "0123456789ABCDEF";
    rapidjson::StringBuffer& out = *os_;
    out.Reserve(s.size() + 2);
    out.PutUnsafe('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      // Eight bytes at a time while none of them needs an escape.
      while (i + 8 <= s.size() && !needs_escape(s.data() + i)) i += 8;
      if (i == s.size()) break;
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      append(out, s.substr(run, i - run));
      char* e = out.Push(2);
      e[0] = '\\';
      switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default: {
          e[1] = 'u';
          char* u = out.Push(4);
          u[0] = '0';
          u[1] = '0';
          u[2] = kHex[c >> 4];
          u[3] = kHex[c & 0xF];
        }
      }
      run = i + 1;
    }
    append(out, s.substr(run));
    out.Put('"');
    EndValue(true);
  }

 private:
  // Whether one of the 8 bytes at `p` is a control character, '"' or '\\' (exact: "has a byte less than n" and
  // "has a zero byte" bit tricks, Anderson, "Bit Twiddling Hacks").
  static bool needs_escape(const char* p) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    constexpr std::uint64_t k01 = 0x0101010101010101ULL, k80 = 0x8080808080808080ULL;
    auto has_zero = [&](std::uint64_t v) { return ((v - k01) & ~v & k80) != 0; };
    return ((x - k01 * 0x20) & ~x & k80) != 0 || has_zero(x ^ (k01 * '"')) || has_zero(x ^ (k01 * '\\'));
  }

  static void append(rapidjson::StringBuffer& out, std::string_view part) {
    if (!part.empty()) std::memcpy(out.Push(part.size()), part.data(), part.size());
  }
};

void key(JsonWriter& w, const char* k) { w.Key(k); }
void str(JsonWriter& w, const std::string& s) { w.text(s); }

// CDS Hooks 2.0 §JSON: optional members without a value are omitted, never null or empty.
void opt_str(JsonWriter& w, const char* k, const std::string& s) {
  if (s.empty()) return;
  key(w, k);
  str(w, s);
}

void coding(JsonWriter& w, const fhir::Coding& c) {
  w.StartObject();
  opt_str(w, "system", c.system);
  opt_str(w, "code", c.code);
  opt_str(w, "display", c.display);
  w.EndObject();
}

void action(JsonWriter& w, const Action& a) {
  w.StartObject();
  opt_str(w, "type", a.type);
  opt_str(w, "description", a.description);
  if (!a.resource_json.empty()) {
    key(w, "resource");
    w.RawValue(a.resource_json.data(), a.resource_json.size(), rapidjson::kObjectType);
  }
  opt_str(w, "resourceId", a.resource_id);
  w.EndObject();
}

void card(JsonWriter& w, const Card& c) {
  w.StartObject();
  opt_str(w, "uuid", c.uuid);
  key(w, "summary");
  str(w, c.summary);
  opt_str(w, "detail", c.detail);
  key(w, "indicator");
  w.String(indicator_name(c.indicator));
  key(w, "source");
  w.StartObject();
  key(w, "label");
  str(w, c.source.label);
  opt_str(w, "url", c.source.url);
  if (!c.source.topic.code.empty()) {
    key(w, "topic");
    coding(w, c.source.topic);
  }
  w.EndObject();
  if (!c.suggestions.empty()) {
    key(w, "suggestions");
    w.StartArray();
    for (const auto& s : c.suggestions) {
      w.StartObject();
      key(w, "label");
      str(w, s.label);
      opt_str(w, "uuid", s.uuid);
      if (s.is_recommended) {
        key(w, "isRecommended");
        w.Bool(true);
      }
      if (!s.actions.empty()) {
        key(w, "actions");
        w.StartArray();
        for (const auto& a : s.actions) action(w, a);
        w.EndArray();
      }
      w.EndObject();
    }
    w.EndArray();
    // §Card: selectionBehavior "MUST be included if suggestions are present".
    key(w, "selectionBehavior");
    str(w, c.selection_behavior.empty() ? std::string("any") : c.selection_behavior);
  }
  if (!c.override_reasons.empty()) {
    key(w, "overrideReasons");
    w.StartArray();
    for (const auto& r : c.override_reasons) coding(w, r);
    w.EndArray();
  }
  if (!c.links.empty()) {
    key(w, "links");
    w.StartArray();
    for (const auto& l : c.links) {
      w.StartObject();
      key(w, "label");
      str(w, l.label);
      key(w, "url");
      str(w, l.url);
      key(w, "type");
      str(w, l.type);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

const char* indicator_name(Indicator indicator) {
  switch (indicator) {
    case Indicator::critical:
      return "critical";
    case Indicator::warning:
      return "warning";
    case Indicator::info:
      return "info";
  }
  return "info";
}

std::string write_response(const std::vector<Card>& cards) {
  // Reused by the thread, so that it keeps the capacity of earlier answers instead of growing from 256 bytes.
  thread_local rapidjson::StringBuffer buf;
  buf.Clear();
  JsonWriter w(buf);
  w.StartObject();
  key(w, "cards");
  w.StartArray();
  for (const auto& c : cards) card(w, c);
  w.EndArray();
  w.EndObject();
  std::string out(buf.GetString(), buf.GetSize());
  if (out.size() > (1u << 20)) buf = rapidjson::StringBuffer();  // an outsized answer's buffer is not kept
  return out;
}

}  // namespace nmo::cards
