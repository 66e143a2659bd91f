#!/usr/bin/env bash
# The governance pages in a real browser (issue 13 §5): `nmo-cds feedback-report --html` over a store with
# weeks of cards and feedback, and `nmo-cds knowledge-report --html`, each rendered by Debian's headless Chromium.
# Fails when Chromium logs a console message (an error, or the page's Content-Security-Policy refusing anything it
# would load) or the screenshot is missing. First it renders a page that breaks the policy, to show the check sees
# it. Screenshots are kept in OUT_DIR (the test artifact).
# Usage: render_pages.sh NMO_CDS_BINARY SOURCE_DIR OUT_DIR
set -euo pipefail
bin=$1 src=$2 out=$3
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  if [ "${CI:-}" = "true" ]; then echo "FAIL: $chromium missing (scripts/install-deps.sh installs it)"; exit 1; fi
  echo "SKIPPED: $chromium missing (apt-get install chromium, or scripts/install-deps.sh)"; exit 0
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Renders $1 to $2.png; prints the console lines Chromium logged (empty: none).
render() {
  local page=$1 png=$2
  rm -f "$png"
  HOME="$work" timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
    --user-data-dir="$work/profile" --enable-logging=stderr --v=0 --window-size=1200,1700 \
    --screenshot="$png" "file://$page" >"$work/chromium.out" 2>&1 || { cat "$work/chromium.out"; return 1; }
  [ -s "$png" ] || { echo "no screenshot of $page"; cat "$work/chromium.out"; return 1; }
  grep -E 'CONSOLE|Content Security Policy|Refused to|Uncaught' "$work/chromium.out" || true
}

# 1. The check sees a page that loads something.
printf '%s' "<!DOCTYPE html><html><head><meta charset=utf-8><meta http-equiv=\"Content-Security-Policy\" \
content=\"default-src 'none'\"></head><body><img src=\"https://example.org/x.png\"><script>console.error('x')</script>\
</body></html>" >"$work/bad.html"
if [ -z "$(render "$work/bad.html" "$work/bad.png")" ]; then
  echo "FAIL: a page breaking its Content-Security-Policy logged nothing: the console check would not see errors"
  exit 1
fi

# nmo-cds refuses NMO_* variables it does not know: the test suite's own switches (NMO_TEST_*) are not its.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^NMO_' || true)
# 2. A store with twelve weeks of cards and feedback (tables created by nmo-cds itself).
export NMO_FEEDBACK_STORE=sqlite NMO_FEEDBACK_SQLITE_PATH="$work/feedback.db"
"$bin" feedback-report --config "$src/config/service.json" --html "$work/empty.html" >/dev/null
python3 - "$work/feedback.db" <<'PY'
import sqlite3, sys, time, random
random.seed(13)
db = sqlite3.connect(sys.argv[1])
now = int(time.time()); day = 86400
monday = (now // day) - ((now // day + 3) % 7)
reasons = {"NMOSD-03": ["stable-remission", "access", "patient-preference"], "NMOSD-02": ["specialist-directed", "access"],
           "NMOSD-01": ["documented-elsewhere"], "NMOSD-05": ["diagnosis-revised"]}
displays = {"stable-remission": "Stable remission on current therapy", "access": "Newer agent not accessible",
            "patient-preference": "Patient preference", "specialist-directed": "Specialist-directed therapy",
            "documented-elsewhere": "Done or documented elsewhere", "diagnosis-revised": "Diagnosis revised: not NMOSD"}
n = 0
for w in range(12):
    week = monday - 7 * (11 - w)
    for rule, codes in reasons.items():
        issued = random.randint(20, 60) if rule != "NMOSD-05" else random.randint(1, 4)
        quieted = 0 if rule == "NMOSD-05" else min(issued // 3, w * random.randint(1, 3))
        db.execute("INSERT INTO card_weeks VALUES (?,?,?,?)", (rule, week, issued, quieted))
        for k in range(random.randint(2, 9)):
            n += 1
            t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(week * day + random.randint(0, 6 * day)))
            if random.random() < 0.35:
                row = ("card-%d" % n, "nmosd-patient-view", rule, "accepted", "s-1", "", "", "", "", t, t)
            else:
                c = random.choice(codes)
                row = ("card-%d" % n, "nmosd-patient-view", rule, "overridden", "",
                       "https://nmo-cds.example.org/CodeSystem/override-reason", c, displays[c], "", t, t)
            db.execute("INSERT INTO feedback VALUES (?,?,?,?,?,?,?,?,?,?,?)", row)
db.commit()
PY

# 3. Both pages, rendered without a console message.
"$bin" feedback-report --config "$src/config/service.json" --html "$out/feedback-report.html"
"$bin" knowledge-report --config "$src/config/service.json" --html "$out/knowledge-report.html"
status=0
for page in feedback-report knowledge-report; do
  grep -q "<svg\|<table" "$out/$page.html" || { echo "FAIL: $page.html has no content"; status=1; }
  if ! messages=$(render "$out/$page.html" "$out/$page.png"); then echo "FAIL: $page did not render"; status=1; fi
  if [ -n "$messages" ]; then echo "FAIL: $page logged on the console:"; echo "$messages"; status=1; fi
  [ -s "$out/$page.png" ] && echo "ok: $page rendered, screenshot $out/$page.png"
done
exit $status
