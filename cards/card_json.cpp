#include "cards/card.hpp"

#include "cards/json_writer.hpp"

namespace nmo::cards {

namespace {

using detail::JsonWriter;

void key(JsonWriter& w, const char* k) { w.text(k); }
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
