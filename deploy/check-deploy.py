#!/usr/bin/env python3
"""Static checks of the deployment files, run by scripts/test.sh (cheap: no image build, no cluster).

- deploy/Containerfile: multi-stage, numeric non-root USER, HEALTHCHECK, the feedback volume, ENTRYPOINT, every
  COPY source present, and the default CMD's configuration (followed as the service reads it: its issuers file,
  their JWK Set files, the knowledge directory) is in the image, requires JWT and does not trust the public
  sandbox; the deploy/*.sh scripts parse (bash -n).
- config/kustomization.yaml lists every config/knowledge/*.json (kustomize cannot glob).
- deploy/k8s: each overlay rendered with `kubectl kustomize` (skipped, and said so, when kubectl is missing:
  Debian 12 does not package it) and the result checked: kinds, probes, securityContext, references between
  objects, and per overlay the configuration it must carry (prod: JWT required, TLS, PostgreSQL; dev: SQLite,
  development authentication). The configuration the container is started with (args --config) is followed
  through the mounted ConfigMap keys: it, its issuers file and their JWK Set files must all be mounted, and the
  effective auth.mode (file, then NMO_AUTH_MODE) must be the overlay's; prod (and the base) must not trust the
  public sandbox, and prod must render neither its key nor a development configuration. prod renders in a
  scratch copy with a throwaway certificate and database URL.
- deploy/k8s/monitoring: the PrometheusRule passes `promtool check rules` and has the required alerts; the Grafana
  dashboard JSON has the structure Grafana needs (ids, gridPos, datasource variable, targets) and shows the
  required metrics; every metric either names is one service/ops/metrics.cpp renders; prod includes both.
- deploy/compose.yaml: the services, the read-only non-root service and its PostgreSQL, and the configuration
  it serves with its issuers file and JWK Sets bind-mounted from the repository.

Exit status 0 when everything checked passes; every failure is printed.
"""
import glob
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


# ---- the configuration a container serves, followed as service/cli.cpp reads it ---------------------------------
SANDBOX_ISS = "https://sandbox.cds-hooks.org"


def sandbox_key_material():
    keys = json.load(open(os.path.join(ROOT, "config/keys/sandbox-jwks.json"), encoding="utf-8"))["keys"]
    return [k[f] for k in keys for f in ("x", "y", "n") if f in k]


def config_arg(args, where):
    args = list(args or [])
    if check("--config" in args and args.index("--config") + 1 < len(args), f"{where}: no serve --config FILE"):
        return args[args.index("--config") + 1]
    return None


def check_served_config(where, read, is_dir, config_path, env, mode):
    """read(path) → text of the file at that absolute path in the container, or None; is_dir(path) → bool.
    Follows config → auth.issuers_file → jwks_file (each relative to the file naming it) and knowledge_dir."""
    text = read(config_path)
    if not check(text is not None, f"{where}: the configuration {config_path} is not there"):
        return
    try:
        cfg = json.loads(text)
    except ValueError as e:
        check(False, f"{where}: {config_path} is not JSON: {e}")
        return
    base = posixpath.dirname(config_path)
    auth = cfg.get("auth", {})
    effective = env.get("NMO_AUTH_MODE", auth.get("mode", "required"))
    check(effective == mode, f"{where}: auth.mode is {effective!r} ({config_path} + NMO_AUTH_MODE), expected {mode!r}")
    knowledge = posixpath.join(base, env.get("NMO_KNOWLEDGE_DIR", cfg.get("knowledge_dir", "knowledge")))
    check(is_dir(knowledge), f"{where}: knowledge_dir {knowledge} is not there")
    issuers_file = env.get("NMO_AUTH_ISSUERS_FILE", auth.get("issuers_file", ""))
    if not check(issuers_file != "", f"{where}: {config_path} names no auth.issuers_file (it would trust nobody)"):
        return
    issuers_path = posixpath.normpath(posixpath.join(base, issuers_file))
    text = read(issuers_path)
    if not check(text is not None, f"{where}: auth.issuers_file {issuers_path} (named by {config_path}) is not there"):
        return
    issuers = json.loads(text).get("issuers", [])
    check(bool(issuers), f"{where}: {issuers_path} lists no issuer")
    for issuer in issuers:
        if mode == "required":
            check(issuer.get("iss") != SANDBOX_ISS,
                  f"{where}: {issuers_path} trusts the public sandbox, whose private key is published")
        check("jwks_file" in issuer or issuer.get("jku"), f"{where}: issuer {issuer.get('iss')} has no key source")
        if "jwks_file" in issuer:
            jwks = posixpath.normpath(posixpath.join(posixpath.dirname(issuers_path), issuer["jwks_file"]))
            check(read(jwks) is not None, f"{where}: jwks_file {jwks} (issuer {issuer.get('iss')}) is not there")


# ---- Containerfile and scripts ---------------------------------------------------------------------------------
def containerfile_instructions(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"\\\n", " ", text)  # line continuations
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def check_containerfile():
    instructions = containerfile_instructions(os.path.join(ROOT, "deploy/Containerfile"))
    froms = [rest for word, rest in instructions if word == "FROM"]
    check(len(froms) >= 2, "Containerfile: expected a multi-stage build (two FROM or more)")
    runtime = instructions[max(i for i, (w, _) in enumerate(instructions) if w == "FROM"):]
    users = [rest for word, rest in runtime if word == "USER"]
    if check(users, "Containerfile: the runtime stage sets no USER"):
        uid = users[-1].split(":")[0]
        check(uid.isdigit() and int(uid) != 0,
              f"Containerfile: USER {users[-1]} must be a numeric non-root uid (runAsNonRoot can verify only those)")
    check(any(w == "HEALTHCHECK" and "/healthz" in r for w, r in runtime), "Containerfile: no HEALTHCHECK on /healthz")
    check(any(w == "VOLUME" and "/var/lib/nmo-cds" in r for w, r in runtime),
          "Containerfile: no VOLUME for /var/lib/nmo-cds (the SQLite feedback store)")
    check(any(w == "ENTRYPOINT" for w, _ in runtime), "Containerfile: no ENTRYPOINT in the runtime stage")
    image_files = {}  # path in the image → file in the repository (COPY from the build context only)
    for word, rest in runtime:
        if word != "COPY" or "--from=" in rest:
            continue
        words = [w for w in rest.split() if not w.startswith("--")]
        sources, dest = words[:-1], words[-1]
        for src in sources:
            path = os.path.join(ROOT, src)
            if not check(os.path.exists(path), f"Containerfile: COPY source {src} does not exist"):
                continue
            if os.path.isdir(path):
                for f in glob.glob(os.path.join(path, "**", "*"), recursive=True):
                    if os.path.isfile(f):
                        image_files[posixpath.join(dest, os.path.relpath(f, path))] = f
            else:
                image_files[posixpath.join(dest, os.path.basename(src)) if dest.endswith("/") else dest] = path
    cmds = [rest for word, rest in runtime if word == "CMD"]
    env = {}
    for word, rest in runtime:
        if word == "ENV":
            env.update(re.findall(r"(NMO_[A-Z0-9_]+)=(\S+)", rest))
    if check(cmds and cmds[-1].startswith("["), "Containerfile: no exec-form CMD"):
        config = config_arg(json.loads(cmds[-1]), "Containerfile CMD")
        if config:
            def read(p):
                f = image_files.get(posixpath.normpath(p))
                return open(f, encoding="utf-8").read() if f else None

            def is_dir(p):
                return any(k.startswith(posixpath.normpath(p) + "/") for k in image_files)

            check_served_config("Containerfile CMD", read, is_dir, config, env, "required")
    for script in glob.glob(os.path.join(ROOT, "deploy/*.sh")):
        r = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
        check(r.returncode == 0, f"{os.path.relpath(script, ROOT)}: {r.stderr.strip()}")


def check_config_kustomization():
    k = yaml.safe_load(open(os.path.join(ROOT, "config/kustomization.yaml"), encoding="utf-8"))
    listed = set()
    for gen in k.get("configMapGenerator", []):
        listed.update(f.split("=")[-1] for f in gen.get("files", []))
    for path in sorted(glob.glob(os.path.join(ROOT, "config/knowledge/*.json"))):
        rel = os.path.relpath(path, os.path.join(ROOT, "config"))
        check(rel in listed, f"config/kustomization.yaml: {rel} is not in the nmo-cds-knowledge ConfigMap")
    check("service.json" in listed, "config/kustomization.yaml: service.json is not in a ConfigMap")


# ---- Kubernetes ---------------------------------------------------------------------------------------------------
def render(overlay_dir):
    r = subprocess.run(["kubectl", "kustomize", overlay_dir], capture_output=True, text=True)
    if not check(r.returncode == 0, f"kubectl kustomize {overlay_dir}: {r.stderr.strip()}"):
        return []
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def render_prod():
    """prod needs its secret files: render a scratch copy of config/ and deploy/ with throwaway ones."""
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("config", "deploy"):
            shutil.copytree(os.path.join(ROOT, d), os.path.join(tmp, d))
        secrets = os.path.join(tmp, "deploy/k8s/overlays/prod/secrets")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-days", "1", "-subj", "/CN=nmo-cds.test",
                            "-keyout", os.path.join(secrets, "tls.key"), "-out", os.path.join(secrets, "tls.crt")],
                           capture_output=True, text=True)
        if not check(r.returncode == 0, f"openssl (throwaway certificate): {r.stderr.strip()}"):
            return []
        with open(os.path.join(secrets, "postgres-url"), "w", encoding="utf-8") as f:
            f.write("postgresql://nmo:throwaway@db.invalid:5432/nmo_cds?sslmode=verify-full")
        with open(os.path.join(secrets, "quiet-key"), "w", encoding="utf-8") as f:
            f.write("throwaway-quiet-key")
        return render(os.path.join(tmp, "deploy/k8s/overlays/prod"))


def by_kind(docs):
    out = {}
    for d in docs:
        out.setdefault(d["kind"], []).append(d)
    return out


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def effective_env(deployment, objects):
    """The container's environment as the kubelet would build it: envFrom ConfigMaps, then env."""
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {}
    for source in container.get("envFrom", []):
        name = source.get("configMapRef", {}).get("name")
        cm = objects.get(("ConfigMap", name))
        if check(cm is not None, f"envFrom names ConfigMap {name}, which is not rendered"):
            env.update(cm.get("data", {}))
    for e in container.get("env", []):
        env[e["name"]] = e.get("value", e.get("valueFrom"))
    return env


def check_overlay(name, docs, expect):
    where = f"k8s {name}"
    kinds = by_kind(docs)
    objects = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    for kind in expect["kinds"]:
        check(kind in kinds, f"{where}: no {kind}")
    for kind in expect.get("absent", []):
        check(kind not in kinds, f"{where}: {kind} should not be rendered")
    deployments = kinds.get("Deployment", [])
    if not check(len(deployments) == 1, f"{where}: expected one Deployment"):
        return
    dep = deployments[0]
    pod = dep["spec"]["template"]["spec"]
    labels = dep["spec"]["template"]["metadata"].get("labels", {})
    check(matches(dep["spec"]["selector"].get("matchLabels"), labels), f"{where}: Deployment selector ≠ pod labels")
    check(pod.get("enableServiceLinks") is False,
          f"{where}: enableServiceLinks must be false (injected NMO_CDS_* variables would be refused)")
    check(pod.get("automountServiceAccountToken") is False, f"{where}: the service account token is mounted")
    psc = pod.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True, f"{where}: pod securityContext.runAsNonRoot is not true")
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: pod seccomp is not RuntimeDefault")
    spread = pod.get("topologySpreadConstraints", [])
    check(any(c.get("topologyKey") == "kubernetes.io/hostname" for c in spread), f"{where}: no spread over nodes")
    check(all(matches(c.get("labelSelector", {}).get("matchLabels"), labels) for c in spread),
          f"{where}: a topology spread constraint does not select the pods")

    containers = pod.get("containers", [])
    check(len(containers) == 1, f"{where}: expected one container")
    c = containers[0]
    csc = c.get("securityContext", {})
    check(csc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem is not true")
    check(csc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation is not false")
    check(csc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities do not drop ALL")
    check(csc.get("runAsNonRoot") is True and csc.get("runAsUser", 0) != 0, f"{where}: container may run as root")
    res = c.get("resources", {})
    for part in ("requests", "limits"):
        check("cpu" in res.get(part, {}) and "memory" in res.get(part, {}), f"{where}: no cpu/memory {part}")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    scheme = expect["scheme"]
    # Probes on the admin listener (plain HTTP whatever the service port speaks), never the public port.
    check("admin" in ports, f"{where}: no container port named admin")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
        get = c.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path, f"{where}: {probe} is not GET {path}")
        check(get.get("port") in ("admin", ports.get("admin")), f"{where}: {probe} is not on the admin port")
        check(get.get("scheme", "HTTP") == scheme, f"{where}: {probe} scheme is not {scheme}")
    annotations = dep["spec"]["template"]["metadata"].get("annotations", {})
    if "prometheus.io/port" in annotations:
        check(str(annotations["prometheus.io/port"]) == str(ports.get("admin")),
              f"{where}: the scrape annotation does not name the admin port")

    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    for m in mounts.values():
        check(m["name"] in volumes, f"{where}: volumeMount {m['mountPath']} names no volume")
    for v in volumes.values():
        for kind, key in (("ConfigMap", ("configMap", "name")), ("Secret", ("secret", "secretName")),
                          ("PersistentVolumeClaim", ("persistentVolumeClaim", "claimName"))):
            ref = v.get(key[0], {}).get(key[1])
            if ref is not None:
                check((kind, ref) in objects, f"{where}: volume {v['name']} names {kind} {ref}, not rendered")
    env = effective_env(dep, objects)

    def mounted(path):
        """The ConfigMap mount and key that put a file at path, as the kubelet would: (data, key) or None."""
        path = posixpath.normpath(path)
        for mpath, m in mounts.items():
            cm_name = volumes.get(m["name"], {}).get("configMap", {}).get("name")
            cm = objects.get(("ConfigMap", cm_name), {})
            if m.get("subPath"):
                if mpath == path:
                    return cm.get("data", {}), m["subPath"]
            elif path.startswith(mpath.rstrip("/") + "/") and cm:
                key = path[len(mpath.rstrip("/")) + 1:]
                if "/" not in key:
                    return cm.get("data", {}), key
        return None

    def read(path):
        found = mounted(path)
        return found[0].get(found[1]) if found else None

    def is_dir(path):
        m = mounts.get(posixpath.normpath(path))
        return m is not None and not m.get("subPath") and "configMap" in volumes.get(m["name"], {})

    check_served_config(where, read, is_dir, config_arg(c.get("args"), where) or "", env, expect["env"]["NMO_AUTH_MODE"])
    if expect.get("no_sandbox"):
        material = sandbox_key_material()
        for cm in kinds.get("ConfigMap", []):
            for key, value in cm.get("data", {}).items():
                check(SANDBOX_ISS not in value and not any(m in value for m in material),
                      f"{where}: ConfigMap {cm['metadata']['name']} carries the public sandbox's issuer or key ({key})")
                if key.endswith(".json") and value.lstrip().startswith("{"):
                    mode = json.loads(value).get("auth", {}).get("mode")
                    check(mode in (None, "required"), f"{where}: ConfigMap {cm['metadata']['name']}/{key} has auth.mode {mode}")
    for key in env:
        check(re.fullmatch(r"NMO_[A-Z0-9_]+", key) is not None, f"{where}: {key} is not an NMO_<KEY> override")
    for key, want in expect["env"].items():
        check(env.get(key) == want, f"{where}: {key} is {env.get(key)!r}, expected {want!r}")
    check(env.get("NMO_LISTEN_ADDRESS") == "0.0.0.0", f"{where}: the service does not listen on the pod's address")
    check(env.get("NMO_ADMIN_ADDRESS") == "0.0.0.0" and str(env.get("NMO_ADMIN_PORT")) == str(ports.get("admin")),
          f"{where}: the admin listener is not on the pod's address at the admin container port")
    for key in ("NMO_FEEDBACK_SQLITE_PATH", "NMO_TLS_CERTIFICATE_FILE", "NMO_TLS_PRIVATE_KEY_FILE"):
        path = env.get(key)
        if isinstance(path, str) and (key != "NMO_FEEDBACK_SQLITE_PATH" or env.get("NMO_FEEDBACK_STORE") == "sqlite"):
            check(any(path.startswith(m.rstrip("/") + "/") for m in mounts), f"{where}: {key}={path} is on no volume")
    if "postgres_secret" in expect:
        ref = env.get("NMO_FEEDBACK_POSTGRES_URL")
        ref = ref.get("secretKeyRef", {}) if isinstance(ref, dict) else {}
        secret = objects.get(("Secret", ref.get("name")))
        check(secret is not None and ref.get("key") in secret.get("data", {}),
              f"{where}: NMO_FEEDBACK_POSTGRES_URL does not come from a rendered Secret's key")
    # Nothing in the rendered output may switch authentication off, whatever the key is called.
    if expect["env"].get("NMO_AUTH_MODE") == "required":
        text = yaml.safe_dump_all(docs)
        check(re.search(r"(?i)auth[a-z_.]*\W+development", text) is None, f"{where}: development authentication")
    tls = [s for s in kinds.get("Secret", []) if s.get("type") == "kubernetes.io/tls"]
    check(bool(tls) == expect["tls"], f"{where}: TLS Secret {'missing' if expect['tls'] else 'unexpected'}")

    for svc in kinds.get("Service", []):
        check(matches(svc["spec"].get("selector"), labels), f"{where}: Service {svc['metadata']['name']} selects no pod")
        for p in svc["spec"].get("ports", []):
            check(p.get("targetPort") in ports or p.get("targetPort") in ports.values(),
                  f"{where}: Service port {p.get('name')} targets no container port")
    for hpa in kinds.get("HorizontalPodAutoscaler", []):
        ref = hpa["spec"]["scaleTargetRef"]
        check(ref["kind"] == "Deployment" and ref["name"] == dep["metadata"]["name"], f"{where}: HPA targets nothing")
        check(hpa["spec"].get("minReplicas", 1) >= 2, f"{where}: HPA minReplicas below 2")
    for pdb in kinds.get("PodDisruptionBudget", []):
        check(matches(pdb["spec"]["selector"].get("matchLabels"), labels), f"{where}: PDB selects no pod")
    for np in kinds.get("NetworkPolicy", []):
        check(matches(np["spec"]["podSelector"].get("matchLabels"), labels), f"{where}: NetworkPolicy selects no pod")
        check({"Ingress", "Egress"} <= set(np["spec"].get("policyTypes", [])), f"{where}: NetworkPolicy not both ways")
    if "replicas" in expect:
        check(dep["spec"].get("replicas") == expect["replicas"], f"{where}: replicas ≠ {expect['replicas']}")


def check_kubernetes():
    if shutil.which("kubectl") is None:
        print("check-deploy: SKIPPED the Kubernetes render checks: kubectl is not installed "
              "(Debian 12 does not package it)")
        return
    common = ["Deployment", "Service", "ConfigMap", "NetworkPolicy", "ServiceAccount"]
    # The base alone (it also renders the dev overlay's ConfigMap, unmounted): secure by default.
    check_overlay("base", render(os.path.join(ROOT, "deploy/k8s/base")), {
        "kinds": common + ["HorizontalPodAutoscaler", "PodDisruptionBudget"], "scheme": "HTTP", "tls": False,
        "env": {"NMO_AUTH_MODE": "required", "NMO_FEEDBACK_STORE": "sqlite"}})
    check_overlay("dev", render(os.path.join(ROOT, "deploy/k8s/overlays/dev")), {
        "kinds": common + ["PersistentVolumeClaim"], "absent": ["HorizontalPodAutoscaler", "PodDisruptionBudget"],
        "scheme": "HTTP", "tls": False, "replicas": 1,
        "env": {"NMO_AUTH_MODE": "development", "NMO_FEEDBACK_STORE": "sqlite",
                "NMO_FEEDBACK_SQLITE_PATH": "/var/lib/nmo-cds/feedback.db"}})
    check_overlay("prod", render_prod(), {
        "kinds": common + ["HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret"],
        "scheme": "HTTP", "tls": True, "postgres_secret": True, "no_sandbox": True,
        "env": {"NMO_AUTH_MODE": "required", "NMO_FEEDBACK_STORE": "postgres", "NMO_AUTH_REPLAY_STORE": "postgres",
                "NMO_TLS_CERTIFICATE_FILE": "/etc/nmo-cds/tls/tls.crt", "NMO_TLS_PRIVATE_KEY_FILE": "/etc/nmo-cds/tls/tls.key"}})
    print("check-deploy: rendered and checked the base and the dev and prod overlays with kubectl kustomize")


# ---- monitoring: alert rules and the Grafana dashboard -----------------------------------------------------------
MONITORING = os.path.join(ROOT, "deploy/k8s/monitoring")
REQUIRED_ALERTS = ["NmoCdsHighErrorRate", "NmoCdsLatencySloBurn", "NmoCdsFeedbackStoreFailing", "NmoCdsAuthFailureSpike"]
DASHBOARD_METRICS = ["nmo_http_requests_total", "nmo_http_request_duration_seconds", "nmo_stage_duration_seconds",
                     "nmo_auth_failures_total", "nmo_fhir_fetch_duration_seconds", "nmo_cards_total",
                     "nmo_feedback_total", "nmo_cards_quieted_total"]


def exported_metrics():
    """The metric names service/ops/metrics.cpp renders."""
    text = open(os.path.join(ROOT, "service/ops/metrics.cpp"), encoding="utf-8").read()
    return set(re.findall(r'"(nmo_[a-z_]+)[ "{]', text)) | set(re.findall(r'"# TYPE (nmo_[a-z_]+) ', text))


def metrics_in(expr, where, known):
    used = set()
    for name in re.findall(r"\b(nmo_[a-z_]+)", expr):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in known or base in known, f"{where}: unknown metric {name} (not rendered by service/ops/metrics.cpp)")
        used.add(base if base in known else name)
    return used


def check_monitoring():
    known = exported_metrics()
    check(len(known) >= 10, f"service/ops/metrics.cpp: found only {sorted(known)}")
    kust = yaml.safe_load(open(os.path.join(MONITORING, "kustomization.yaml"), encoding="utf-8"))
    check("prometheusrule.yaml" in kust.get("resources", []), "monitoring/kustomization.yaml: no prometheusrule.yaml")
    files = [f for g in kust.get("configMapGenerator", []) for f in g.get("files", [])]
    check("nmo-cds-dashboard.json" in files, "monitoring/kustomization.yaml: the dashboard is not in a ConfigMap")
    prod = yaml.safe_load(open(os.path.join(ROOT, "deploy/k8s/overlays/prod/kustomization.yaml"), encoding="utf-8"))
    check("../../monitoring" in prod.get("resources", []), "prod overlay: does not include deploy/k8s/monitoring")

    rule = yaml.safe_load(open(os.path.join(MONITORING, "prometheusrule.yaml"), encoding="utf-8"))
    check(rule.get("apiVersion") == "monitoring.coreos.com/v1" and rule.get("kind") == "PrometheusRule",
          "prometheusrule.yaml: not a monitoring.coreos.com/v1 PrometheusRule")
    groups = (rule.get("spec") or {}).get("groups") or []
    alerts = {}
    for g in groups:
        for r in g.get("rules", []):
            if "alert" in r:
                alerts[r["alert"]] = r
    for name in REQUIRED_ALERTS:
        check(name in alerts, f"prometheusrule.yaml: no alert {name}")
    for name, r in alerts.items():
        check("severity" in (r.get("labels") or {}), f"prometheusrule.yaml: {name} has no severity label")
        check("summary" in (r.get("annotations") or {}), f"prometheusrule.yaml: {name} has no summary")
        metrics_in(r.get("expr", ""), f"prometheusrule.yaml {name}", known)
    promtool = shutil.which("promtool")
    if promtool is None:
        check(os.environ.get("CI") != "true", "promtool is not installed (apt-get install prometheus)")
        print("check-deploy: SKIPPED promtool check rules: promtool is not installed")
    else:
        with tempfile.NamedTemporaryFile("w", suffix=".rules.yml", delete=False) as f:
            yaml.safe_dump(rule.get("spec") or {}, f)
        r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
        os.unlink(f.name)
        check(r.returncode == 0, f"promtool check rules prometheusrule.yaml: {r.stdout.strip()} {r.stderr.strip()}")

    try:
        dash = json.load(open(os.path.join(MONITORING, "nmo-cds-dashboard.json"), encoding="utf-8"))
    except ValueError as e:
        check(False, f"nmo-cds-dashboard.json: not JSON: {e}")
        return
    for key in ("title", "uid", "panels", "schemaVersion", "templating"):
        check(key in dash, f"nmo-cds-dashboard.json: no {key}")
    variables = {v.get("name"): v for v in (dash.get("templating") or {}).get("list", [])}
    check(variables.get("datasource", {}).get("type") == "datasource",
          "nmo-cds-dashboard.json: no datasource variable (the dashboard must not name one Prometheus)")
    ids, used = set(), set()
    for p in dash.get("panels", []):
        where = f"nmo-cds-dashboard.json panel {p.get('title')!r}"
        check(p.get("id") not in ids, f"{where}: duplicate id {p.get('id')}")
        ids.add(p.get("id"))
        check(bool(p.get("type")) and bool(p.get("title")), f"{where}: no type or title")
        pos = p.get("gridPos") or {}
        check(all(isinstance(pos.get(k), int) for k in "hwxy") and pos.get("x", 0) + pos.get("w", 0) <= 24,
              f"{where}: gridPos must have integer h, w, x, y within 24 columns")
        check((p.get("datasource") or {}).get("uid") == "${datasource}", f"{where}: datasource is not ${{datasource}}")
        targets = p.get("targets") or []
        check(bool(targets), f"{where}: no targets")
        for t in targets:
            check(bool(t.get("refId")) and bool(t.get("expr")), f"{where}: a target without refId or expr")
            used |= metrics_in(t.get("expr", ""), where, known)
    for m in DASHBOARD_METRICS:
        check(m in used, f"nmo-cds-dashboard.json: no panel shows {m}")
    print(f"check-deploy: checked {len(alerts)} alert rules and {len(ids)} dashboard panels")


# ---- compose -----------------------------------------------------------------------------------------------------
def check_compose():
    compose = yaml.safe_load(open(os.path.join(ROOT, "deploy/compose.yaml"), encoding="utf-8"))
    services = compose.get("services", {})
    svc, db = services.get("nmo-cds", {}), services.get("postgres", {})
    check(bool(svc) and bool(db), "compose.yaml: expected services nmo-cds and postgres")
    check(svc.get("read_only") is True, "compose.yaml: nmo-cds is not read_only")
    check(str(svc.get("user", "0")).split(":")[0] not in ("0", "root"), "compose.yaml: nmo-cds runs as root")
    check("ALL" in svc.get("cap_drop", []), "compose.yaml: nmo-cds keeps capabilities")
    env = svc.get("environment", {})
    check(env.get("NMO_FEEDBACK_STORE") == "postgres", "compose.yaml: nmo-cds does not use PostgreSQL")
    check("postgres" in str(env.get("NMO_FEEDBACK_POSTGRES_URL", "")), "compose.yaml: no PostgreSQL URL")
    check(svc.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
          "compose.yaml: nmo-cds does not wait for a healthy PostgreSQL")
    check("healthcheck" in db, "compose.yaml: postgres has no health check")
    for port in svc.get("ports", []):
        check(str(port).startswith("127.0.0.1:"), f"compose.yaml: port {port} is published beyond loopback")
    # The configuration it serves, its issuers file and JWK Sets: all from bind mounts of the repository.
    binds = {}
    for v in svc.get("volumes", []):
        parts = str(v).split(":")
        if len(parts) >= 2 and parts[0].startswith("."):
            binds[posixpath.normpath(parts[1])] = os.path.normpath(os.path.join(ROOT, "deploy", parts[0]))

    def host(path):
        path = posixpath.normpath(path)
        for target, source in binds.items():
            if path == target:
                return source
            if path.startswith(target + "/"):
                return os.path.join(source, path[len(target) + 1:])
        return None

    def read(path):
        h = host(path)
        return open(h, encoding="utf-8").read() if h and os.path.isfile(h) else None

    config = config_arg(svc.get("command"), "compose.yaml nmo-cds command")
    if config:
        check_served_config("compose.yaml", read, lambda p: bool(host(p)) and os.path.isdir(host(p)), config,
                            {k: str(v) for k, v in env.items()}, env.get("NMO_AUTH_MODE", "required"))


def main():
    check_containerfile()
    check_config_kustomization()
    check_kubernetes()
    check_monitoring()
    check_compose()
    for f in failures:
        print("check-deploy: FAIL:", f)
    print(f"check-deploy: {'FAILED' if failures else 'passed'} ({len(failures)} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
