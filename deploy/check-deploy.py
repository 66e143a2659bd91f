#!/usr/bin/env python3
"""Static checks of the deployment files, run by scripts/test.sh (cheap: no image build, no cluster).

- deploy/Containerfile: multi-stage, numeric non-root USER, HEALTHCHECK, the feedback volume, ENTRYPOINT, every
  COPY source present; the deploy/*.sh scripts parse (bash -n).
- config/kustomization.yaml lists every config/knowledge/*.json (kustomize cannot glob).
- deploy/k8s: each overlay rendered with `kubectl kustomize` (skipped, and said so, when kubectl is missing:
  Debian 12 does not package it) and the result checked: kinds, probes, securityContext, references between
  objects, and per overlay the configuration it must carry (prod: JWT required, TLS, PostgreSQL; dev: SQLite,
  development authentication). prod renders in a scratch copy with a throwaway certificate and database URL.
- deploy/compose.yaml: the services, the read-only non-root service and its PostgreSQL.

Exit status 0 when everything checked passes; every failure is printed.
"""
import glob
import os
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
    for word, rest in instructions:
        if word != "COPY" or "--from=" in rest:
            continue
        sources = [s for s in rest.split()[:-1] if not s.startswith("--")]
        for s in sources:
            check(os.path.exists(os.path.join(ROOT, s)), f"Containerfile: COPY source {s} does not exist")
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
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path, f"{where}: {probe} is not GET {path}")
        check(get.get("port") in ports or get.get("port") in ports.values(), f"{where}: {probe} port is not served")
        check(get.get("scheme", "HTTP") == scheme, f"{where}: {probe} scheme is not {scheme}")

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
    check("/etc/nmo-cds/service.json" in mounts and "/etc/nmo-cds/knowledge" in mounts,
          f"{where}: configuration and knowledge are not mounted from ConfigMaps")

    env = effective_env(dep, objects)
    for key in env:
        check(re.fullmatch(r"NMO_[A-Z0-9_]+", key) is not None, f"{where}: {key} is not an NMO_<KEY> override")
    for key, want in expect["env"].items():
        check(env.get(key) == want, f"{where}: {key} is {env.get(key)!r}, expected {want!r}")
    check(env.get("NMO_LISTEN_ADDRESS") == "0.0.0.0", f"{where}: the service does not listen on the pod's address")
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
    check_overlay("dev", render(os.path.join(ROOT, "deploy/k8s/overlays/dev")), {
        "kinds": common + ["PersistentVolumeClaim"], "absent": ["HorizontalPodAutoscaler", "PodDisruptionBudget"],
        "scheme": "HTTP", "tls": False, "replicas": 1,
        "env": {"NMO_AUTH_MODE": "development", "NMO_FEEDBACK_STORE": "sqlite",
                "NMO_FEEDBACK_SQLITE_PATH": "/var/lib/nmo-cds/feedback.db"}})
    check_overlay("prod", render_prod(), {
        "kinds": common + ["HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret"],
        "scheme": "HTTPS", "tls": True, "postgres_secret": True,
        "env": {"NMO_AUTH_MODE": "required", "NMO_FEEDBACK_STORE": "postgres",
                "NMO_TLS_CERTIFICATE_FILE": "/etc/nmo-cds/tls/tls.crt", "NMO_TLS_PRIVATE_KEY_FILE": "/etc/nmo-cds/tls/tls.key"}})
    print("check-deploy: rendered and checked the dev and prod overlays with kubectl kustomize")


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


def main():
    check_containerfile()
    check_config_kustomization()
    check_kubernetes()
    check_compose()
    for f in failures:
        print("check-deploy: FAIL:", f)
    print(f"check-deploy: {'FAILED' if failures else 'passed'} ({len(failures)} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
