#include "service/feedback/report_html.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "cards/knowledge_model.hpp"
#include "fhir/time.hpp"

namespace nmo::service::feedback {
namespace {

constexpr std::int64_t kMaxWeeks = 26;

const char* const kStyle =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#1b1f24;"
    "max-width:1100px}h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #d0d7de}"
    "h3{font-size:15px;margin:18px 0 4px}table{border-collapse:collapse;margin:8px 0 16px}"
    "th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}"
    "td.n{text-align:right}.ok{color:#1a7f37}.no{color:#cf222e;font-weight:600}.muted{color:#57606a}"
    "svg{display:block;margin:4px 0 12px}code{font-size:13px}";

std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
         "</title><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
         // Nothing but this page: a script, font, image or stylesheet from anywhere is refused (and the browser
         // test sees the refusal on the console).
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
         "<style>" + kStyle +
         "</style></head><body>\n<h1>" + html_escape(title) + "</h1>\n" + body + "</body></html>\n";
}

std::string date_of_day(std::int64_t day) {
  const std::int64_t z = day + 719468;  // days to civil (H. Hinnant's algorithm)
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y), static_cast<long long>(m),
                static_cast<long long>(d));
  return buf;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// At most `n` bytes of `text`, cut before a UTF-8 continuation byte, with an ellipsis when cut.
std::string shortened(const std::string& text, std::size_t n) {
  if (text.size() <= n) return text;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n) + "…";
}

std::string label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Colours of the override reasons, in order of first appearance.
const char* const kPalette[] = {"#cf222e", "#bc4c00", "#8250df", "#bf3989", "#9a6700", "#0550ae", "#116329", "#57606a"};

struct Week {
  std::int64_t issued = 0, quieted = 0, accepted = 0;
  std::map<std::string, std::int64_t> overridden;  // reason → count
};

struct Series {
  const char* label;
  const char* colour;
  std::vector<std::int64_t> values;
};

// One rule's plot: stacked bars of overrides by reason, lines of issued, accepted and quieted cards.
std::string plot(const std::string& rule, const std::vector<std::int64_t>& weeks, const std::map<std::int64_t, Week>& data,
                 const std::vector<std::string>& reasons) {
  const double width = 900, height = 220, left = 44, right = 250, top = 12, bottom = 34;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  std::vector<Series> lines = {{"issued", "#0969da", {}}, {"accepted", "#1a7f37", {}}, {"quieted", "#6e7781", {}}};
  std::int64_t max = 1;
  for (std::int64_t w : weeks) {
    const auto it = data.find(w);
    const Week empty;
    const Week& d = it == data.end() ? empty : it->second;
    lines[0].values.push_back(d.issued);
    lines[1].values.push_back(d.accepted);
    lines[2].values.push_back(d.quieted);
    std::int64_t over = 0;
    for (const auto& [r, n] : d.overridden) over += n;
    max = std::max({max, d.issued, d.accepted, d.quieted, over});
  }
  max = (max + 3) / 4 * 4;  // whole-number grid lines
  const double step = plot_w / static_cast<double>(weeks.size());
  const auto x_of = [&](std::size_t i) { return left + step * (static_cast<double>(i) + 0.5); };
  const auto y_of = [&](double v) { return top + plot_h - plot_h * v / static_cast<double>(max); };

  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) + "\" height=\"" + num(height) +
                  "\" viewBox=\"0 0 " + num(width) + " " + num(height) + "\" role=\"img\" aria-label=\"" +
                  html_escape(rule) + " by week\" font-family=\"sans-serif\" font-size=\"11\">";
  s += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(plot_w) + "\" height=\"" + num(plot_h) +
       "\" fill=\"#fff\" stroke=\"#d0d7de\"/>";
  for (int g = 0; g <= 4; ++g) {  // grid and y labels
    const double v = static_cast<double>(max) * g / 4.0;
    const double y = y_of(v);
    s += "<line x1=\"" + num(left) + "\" x2=\"" + num(left + plot_w) + "\" y1=\"" + num(y) + "\" y2=\"" + num(y) +
         "\" stroke=\"#eaeef2\"/><text x=\"" + num(left - 6) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" +
         label(v) + "</text>";
  }
  for (std::size_t i = 0; i < weeks.size(); ++i) {  // stacked override bars, x labels every other week
    const auto it = data.find(weeks[i]);
    double base = 0;
    if (it != data.end()) {
      for (std::size_t r = 0; r < reasons.size(); ++r) {
        const auto n = it->second.overridden.find(reasons[r]);
        if (n == it->second.overridden.end()) continue;
        const double y0 = y_of(base), y1 = y_of(base + static_cast<double>(n->second));
        s += "<rect x=\"" + num(x_of(i) - step * 0.3) + "\" y=\"" + num(y1) + "\" width=\"" + num(step * 0.6) +
             "\" height=\"" + num(y0 - y1) + "\" fill=\"" + kPalette[r % 8] + "\" opacity=\"0.85\"><title>" +
             html_escape(reasons[r]) + ": " + std::to_string(n->second) + "</title></rect>";
        base += static_cast<double>(n->second);
      }
    }
    if (i % 2 == 0 || weeks.size() <= 8) {
      s += "<text x=\"" + num(x_of(i)) + "\" y=\"" + num(top + plot_h + 14) + "\" text-anchor=\"middle\">" +
           date_of_day(weeks[i]).substr(5) + "</text>";
    }
  }
  for (const Series& line : lines) {
    std::string points;
    for (std::size_t i = 0; i < line.values.size(); ++i) {
      points += num(x_of(i)) + "," + num(y_of(static_cast<double>(line.values[i]))) + " ";
    }
    s += "<polyline fill=\"none\" stroke=\"" + std::string(line.colour) + "\" stroke-width=\"2\" points=\"" + points +
         "\"/>";
    for (std::size_t i = 0; i < line.values.size(); ++i) {
      if (line.values[i] == 0) continue;
      s += "<circle cx=\"" + num(x_of(i)) + "\" cy=\"" + num(y_of(static_cast<double>(line.values[i]))) +
           "\" r=\"2.5\" fill=\"" + line.colour + "\"><title>" + line.label + ": " + std::to_string(line.values[i]) +
           "</title></circle>";
    }
  }
  s += "<text x=\"" + num(left) + "\" y=\"" + num(height - 4) + "\">week starting (Monday)</text>";
  double ly = top + 8;  // legend
  const double lx = left + plot_w + 14;
  for (const Series& line : lines) {
    s += "<line x1=\"" + num(lx) + "\" x2=\"" + num(lx + 18) + "\" y1=\"" + num(ly) + "\" y2=\"" + num(ly) +
         "\" stroke=\"" + line.colour + "\" stroke-width=\"2\"/><text x=\"" + num(lx + 24) + "\" y=\"" +
         num(ly + 4) + "\">" + line.label + "</text>";
    ly += 16;
  }
  for (std::size_t r = 0; r < reasons.size(); ++r) {
    s += "<rect x=\"" + num(lx) + "\" y=\"" + num(ly - 5) + "\" width=\"18\" height=\"10\" fill=\"" + kPalette[r % 8] +
         "\"/><text x=\"" + num(lx + 24) + "\" y=\"" + num(ly + 4) + "\">overridden: " +
         html_escape(shortened(reasons[r], 24)) + "</text>";
    ly += 16;
  }
  return s + "</svg>\n";
}

std::string verified_cell(bool verified) {
  return verified ? "<td class=\"ok\">✔ verified</td>" : "<td class=\"no\">✖ not verified</td>";
}

void code_table(std::string& h, const std::vector<cards::KnownCode>& codes) {
  h += "<table><tr><th>System</th><th>Code</th><th>Display</th><th>Kind</th><th>Verified</th><th>Source</th></tr>";
  for (const auto& c : codes) {
    h += "<tr><td>" + html_escape(c.system) + "</td><td><code>" + html_escape(c.code) + "</code></td><td>" +
         html_escape(c.display) + "</td><td>" + html_escape(c.kind) + "</td>" + verified_cell(c.verified) + "<td>" +
         html_escape(c.source) + (c.note.empty() ? "" : "<br><span class=\"muted\">" + html_escape(c.note) + "</span>") +
         "</td></tr>";
  }
  h += "</table>\n";
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string feedback_report_html(const std::vector<FeedbackRecord>& records, const std::vector<WeekTally>& tallies,
                                 const cards::KnowledgeBase& kb, std::int64_t now) {
  std::map<std::string, std::map<std::int64_t, Week>> rules;  // rule → week → counts
  std::map<std::string, std::vector<std::string>> reasons;    // rule → reasons in order of first appearance
  std::int64_t first = week_of(now);
  for (const auto& t : tallies) {
    Week& w = rules[t.rule.empty() ? "unknown" : t.rule][t.week];
    w.issued += t.issued;
    w.quieted += t.quieted;
    first = std::min(first, t.week);
  }
  for (const auto& r : records) {
    auto when = fhir::parse_fhir_time(r.entry.outcome_timestamp);
    if (!when) when = fhir::parse_fhir_time(r.received_at);
    if (!when) continue;
    const std::string rule = r.rule.empty() ? "unknown" : r.rule;
    const std::int64_t week = week_of(*when);
    first = std::min(first, week);
    Week& w = rules[rule][week];
    if (r.entry.outcome == "accepted") {
      ++w.accepted;
      continue;
    }
    std::string reason = r.entry.override_code.empty() ? "(no reason)" : r.entry.override_code;
    if (const fhir::Coding* c = kb.override_reason(r.entry.override_code)) reason = c->display;
    ++w.overridden[reason];
    auto& list = reasons[rule];
    if (std::find(list.begin(), list.end(), reason) == list.end()) list.push_back(reason);
  }
  const std::int64_t last = week_of(now);
  first = std::max(first, last - 7 * (kMaxWeeks - 1));
  std::vector<std::int64_t> weeks;
  for (std::int64_t w = first; w <= last; w += 7) weeks.push_back(w);

  std::string h = "<p>Knowledge " + html_escape(kb.version()) + ". Weeks " + date_of_day(first) + " to " +
                  date_of_day(last) + " (UTC, weeks start on Monday). <b>Issued</b>: cards shown; <b>quieted</b>: "
                  "cards not shown because an override of the same rule and facts was in its quiet period; "
                  "<b>accepted</b> and <b>overridden</b> (bars, by reason): feedback received. Free-text comments "
                  "are never shown here.</p>\n";
  h += "<table><tr><th>Rule</th><th>Title</th><th>Issued</th><th>Quieted</th><th>Accepted</th><th>Overridden</th>"
       "<th>Override share of feedback</th></tr>";
  for (const auto& [rule, by_week] : rules) {
    std::int64_t issued = 0, quieted = 0, accepted = 0, overridden = 0;
    for (const auto& [w, d] : by_week) {
      issued += d.issued;
      quieted += d.quieted;
      accepted += d.accepted;
      for (const auto& [r, n] : d.overridden) overridden += n;
    }
    std::string title;
    for (const auto& r : kb.rules()) {
      if (r.id == rule) title = r.title;
    }
    const std::int64_t fb = accepted + overridden;
    h += "<tr><td><a href=\"#" + html_escape(rule) + "\">" + html_escape(rule) + "</a></td><td>" + html_escape(title) +
         "</td><td class=\"n\">" + std::to_string(issued) + "</td><td class=\"n\">" + std::to_string(quieted) +
         "</td><td class=\"n\">" + std::to_string(accepted) + "</td><td class=\"n\">" + std::to_string(overridden) +
         "</td><td class=\"n\">" + (fb == 0 ? std::string("–") : num(100.0 * static_cast<double>(overridden) / static_cast<double>(fb)) + "%") +
         "</td></tr>";
  }
  h += "</table>\n";
  if (rules.empty()) h += "<p class=\"muted\">No cards issued and no feedback yet.</p>\n";
  for (const auto& [rule, by_week] : rules) {
    h += "<h3 id=\"" + html_escape(rule) + "\">" + html_escape(rule) + "</h3>\n";
    h += plot(rule, weeks, by_week, reasons[rule]);
  }
  return page("NMOSD CDS feedback report", h);
}

std::string knowledge_report_html(const cards::KnowledgeBase& kb) {
  std::string h = "<p>" + html_escape(kb.title()) + ", version <b>" + html_escape(kb.version()) + "</b>, reviewed " +
                  html_escape(kb.review_date()) + (kb.status().empty() ? "" : ". " + html_escape(kb.status())) +
                  "</p>\n";
  std::size_t unverified = 0;
  for (const auto& vs : kb.value_sets()) {
    for (const auto& c : vs.codes) unverified += c.verified ? 0 : 1;
  }
  for (const auto& a : kb.agents()) {
    for (const auto& c : a.codes) unverified += c.verified ? 0 : 1;
  }
  std::size_t unsigned_thresholds = 0;
  for (const auto& t : kb.thresholds()) unsigned_thresholds += t.needs_sign_off ? 1 : 0;
  h += "<p><b>" + std::to_string(kb.rules().size()) + "</b> rules, <b>" + std::to_string(unverified) +
       "</b> codes not verified, <b>" + std::to_string(unsigned_thresholds) + "</b> thresholds awaiting sign-off, <b>" +
       std::to_string(kb.open_items().size()) + "</b> open items.</p>\n";

  h += "<h2>Rules</h2><table><tr><th>Rule</th><th>Title</th><th>Hooks</th><th>Indicator</th><th>Override reasons "
       "(quiet days)</th></tr>";
  for (const auto& r : kb.rules()) {
    std::string indicators, overrides;
    for (const auto& [hook, ind] : r.indicator) indicators += (indicators.empty() ? "" : ", ") + hook + ": " + ind;
    bool critical = false;
    for (const auto& [hook, ind] : r.indicator) critical = critical || ind == "critical";
    for (const auto& code : r.override_reasons) {
      overrides += (overrides.empty() ? "" : ", ") + code + " (" +
                   (critical ? std::string("never quieted") : std::to_string(kb.quiet_days(code))) + ")";
    }
    h += "<tr><td>" + html_escape(r.id) + "</td><td>" + html_escape(r.title) + "</td><td>" +
         html_escape(joined(r.hooks)) + "</td><td>" + html_escape(indicators) + "</td><td>" + html_escape(overrides) +
         "</td></tr>";
  }
  h += "</table>\n<h2>Override reasons</h2><table><tr><th>Code</th><th>Display</th><th>Quiet days</th></tr>";
  for (const auto& c : kb.override_reasons()) {
    h += "<tr><td><code>" + html_escape(c.code) + "</code></td><td>" + html_escape(c.display) + "</td><td class=\"n\">" +
         std::to_string(kb.quiet_days(c.code)) + "</td></tr>";
  }
  h += "</table>\n<h2>Thresholds</h2><table><tr><th>Threshold</th><th>Value</th><th>Description</th><th>Rules</th>"
       "<th>Sign-off</th></tr>";
  for (const auto& t : kb.thresholds()) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", t.value);
    h += "<tr><td><code>" + html_escape(t.id) + "</code></td><td class=\"n\">" + value + " " + html_escape(t.unit) +
         "</td><td>" + html_escape(t.description) + "</td><td>" + html_escape(joined(t.rules)) + "</td>" +
         (t.needs_sign_off ? "<td class=\"no\">awaiting sign-off</td>" : "<td class=\"ok\">signed off</td>") + "</tr>";
  }
  h += "</table>\n<h2>Open items</h2><table><tr><th>Item</th><th>Text</th><th>Source</th></tr>";
  for (const auto& o : kb.open_items()) {
    h += "<tr><td>" + html_escape(o.id) + "</td><td>" + html_escape(o.text) + "</td><td>" + html_escape(o.source) +
         "</td></tr>";
  }
  h += "</table>\n<h2>Codes</h2>\n";
  for (const auto& vs : kb.value_sets()) {
    if (vs.codes.empty()) continue;
    h += "<h3>Value set " + html_escape(vs.id) + ": " + html_escape(vs.title) + "</h3>\n";
    code_table(h, vs.codes);
  }
  for (const auto& a : kb.agents()) {
    if (a.codes.empty()) continue;
    h += "<h3>Agent " + html_escape(a.name) + " (" + html_escape(a.class_name) + ")</h3>\n";
    code_table(h, a.codes);
  }
  h += "<h2>Citations</h2><table><tr><th>Citation</th><th>Verified</th></tr>";
  for (const auto& c : kb.citations()) {
    h += "<tr><td>" + html_escape(c.label) + "<br><span class=\"muted\">" + html_escape(c.url) + "</span></td>" +
         verified_cell(c.verified) + "</tr>";
  }
  h += "</table>\n";
  return page("NMOSD knowledge report", h);
}

}  // namespace nmo::service::feedback
