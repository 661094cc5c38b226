// infra/k8s and infra/docker-compose.yml, checked offline: every Kubernetes document validates against
// its kind's schema (kubernetes-models: the Kubernetes OpenAPI schemas compiled to ajv validators), and
// the operational properties hold — probes on the port the service really listens on (resolved through
// the ConfigMap and parsed by the service's own env schema), termination grace above the shutdown
// timeout it sets, env only from the ConfigMap/Secret, every variable known to that service's env.ts
// (a renamed variable fails here), scaling objects, and the compose collector → Jaeger trace path.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { type IPodDisruptionBudget, PodDisruptionBudget } from "kubernetes-models/policy/v1";
import {
  ConfigMap,
  type IConfigMap,
  type IContainer,
  type IEnvVar,
  type IPodSpec,
  type IProbe,
  type ISecret,
  type IService,
  Namespace,
  Secret,
  Service,
} from "kubernetes-models/v1";
import { parse, parseAllDocuments } from "yaml";
import { loadConfigEnv } from "../services/config/src/env.js";
import { loadGatewayEnv } from "../services/gateway/src/env.js";
import { loadRemoteControlEnv } from "../services/remote-control/src/env.js";
import { loadThreadEnv } from "../services/thread/src/env.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const k8sDir = join(root, "infra", "k8s");

type Loader = (source: NodeJS.ProcessEnv) => Record<string, unknown>;
/** Each service: its env loader (the zod schema in services/<name>/src/env.ts) and where it serves /healthz and /readyz. */
const services: Record<string, { load: Loader; healthHost: string; healthPort: string; hpa: boolean; service: boolean }> = {
  gateway: { load: loadGatewayEnv, healthHost: "GATEWAY_HOST", healthPort: "GATEWAY_PORT", hpa: true, service: true },
  thread: { load: loadThreadEnv, healthHost: "THREAD_HEALTH_HOST", healthPort: "THREAD_HEALTH_PORT", hpa: true, service: false },
  config: { load: loadConfigEnv, healthHost: "CONFIG_HEALTH_HOST", healthPort: "CONFIG_HEALTH_PORT", hpa: false, service: false },
  "remote-control": {
    load: loadRemoteControlEnv,
    healthHost: "REMOTE_CONTROL_HOST",
    healthPort: "REMOTE_CONTROL_PORT",
    hpa: false,
    service: true,
  },
};
const CONFIG_MAP = "switchyard-config";
const SECRET = "switchyard-secrets";
/** Downward-API fields a container may read: the pod's identity, not configuration. */
const allowedFieldRefs = new Set(["status.podIP", "metadata.name", "metadata.namespace"]);

// One model class per kind the manifests use; a document of any other kind fails until it is added here.
const models: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  doc: Record<string, unknown>;
}

function loadManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of readdirSync(k8sDir).filter((name) => /\.ya?ml$/.test(name) && name !== "kustomization.yaml")) {
    for (const document of parseAllDocuments(readFileSync(join(k8sDir, file), "utf8"))) {
      assert.deepEqual(document.errors, [], `${file}: YAML errors`);
      const doc = document.toJS() as Record<string, unknown> | null;
      if (doc === null) continue;
      const metadata = doc.metadata as { name?: string } | undefined;
      manifests.push({
        file,
        apiVersion: String(doc.apiVersion),
        kind: String(doc.kind),
        name: String(metadata?.name),
        doc,
      });
    }
  }
  return manifests;
}

function validate(manifest: Manifest): void {
  const ModelClass = models[`${manifest.apiVersion}/${manifest.kind}`];
  assert.ok(ModelClass, `${manifest.file}: no schema registered for ${manifest.apiVersion} ${manifest.kind}`);
  new ModelClass(manifest.doc as never).validate();
}

const manifests = loadManifests();
const ofKind = <T>(kind: string) => manifests.filter((manifest) => manifest.kind === kind).map((manifest) => manifest.doc as T);
const configMap = ofKind<IConfigMap>("ConfigMap").find((map) => map.metadata?.name === CONFIG_MAP);
const secret = ofKind<ISecret>("Secret").find((item) => item.metadata?.name === SECRET);
const deployments = ofKind<IDeployment>("Deployment");
const tempDir = mkdtempSync(join(tmpdir(), "switchyard-k8s-"));
after(() => rmSync(tempDir, { recursive: true, force: true }));

function must<T>(value: T | undefined | null, what: string): T {
  assert.ok(value !== undefined && value !== null, `missing: ${what}`);
  return value;
}

function serviceOf(deployment: IDeployment): string {
  const container = must(deployment.spec?.template.spec?.containers[0], `${deployment.metadata?.name}: a container`);
  return must(container.args?.[0], `${deployment.metadata?.name}: the service argument`);
}

function secretValues(): Record<string, string> {
  const item = must(secret, `Secret ${SECRET}`);
  const values: Record<string, string> = { ...(item.stringData ?? {}) };
  for (const [key, value] of Object.entries(item.data ?? {})) values[key] = Buffer.from(value, "base64").toString("utf8");
  return values;
}

/**
 * The environment a container gets, resolved the way the kubelet would: ConfigMap and Secret keys
 * (which must exist), downward-API fields (sample values), and files from ConfigMap volumes written
 * to a temporary directory so the service's schema can read them.
 */
function resolveEnv(pod: IPodSpec, container: IContainer): { env: Record<string, string>; sources: string[] } {
  const data = must(configMap?.data, `ConfigMap ${CONFIG_MAP} data`);
  const secrets = secretValues();
  const env: Record<string, string> = {};
  const sources: string[] = [];
  assert.equal(container.envFrom, undefined, `${container.name}: envFrom would hand the container keys its env.ts does not know`);
  for (const variable of container.env ?? []) {
    sources.push(describeSource(variable));
    const from = variable.valueFrom;
    assert.ok(
      from && variable.value === undefined,
      `${container.name}: ${variable.name} is a literal, not from ${CONFIG_MAP}/${SECRET}`,
    );
    if (from.configMapKeyRef) {
      assert.equal(from.configMapKeyRef.name, CONFIG_MAP, `${container.name}: ${variable.name} reads another ConfigMap`);
      const value = data[from.configMapKeyRef.key];
      if (value === undefined && from.configMapKeyRef.optional) continue;
      env[variable.name] = must(value, `${CONFIG_MAP} key ${from.configMapKeyRef.key} (for ${variable.name})`);
    } else if (from.secretKeyRef) {
      assert.equal(from.secretKeyRef.name, SECRET, `${container.name}: ${variable.name} reads another Secret`);
      const value = secrets[from.secretKeyRef.key];
      if (value === undefined && from.secretKeyRef.optional) continue;
      must(value, `${SECRET} key ${from.secretKeyRef.key} (for ${variable.name})`);
      // The committed values are placeholders; give the schema a well-formed one.
      env[variable.name] = variable.name === "SWITCHYARD_SECRETS_KEY" ? randomBytes(32).toString("base64") : String(value);
    } else if (from.fieldRef) {
      assert.ok(
        allowedFieldRefs.has(from.fieldRef.fieldPath),
        `${container.name}: ${variable.name} reads ${from.fieldRef.fieldPath}`,
      );
      env[variable.name] = from.fieldRef.fieldPath === "status.podIP" ? "10.1.2.3" : "switchyard-pod";
    } else {
      assert.fail(`${container.name}: ${variable.name} comes from neither ${CONFIG_MAP} nor ${SECRET}`);
    }
  }
  // A path inside a ConfigMap volume: the mounted key must exist; the schema reads a copy of it.
  for (const [name, value] of Object.entries(env)) {
    for (const mount of container.volumeMounts ?? []) {
      if (!value.startsWith(`${mount.mountPath.replace(/\/$/, "")}/`)) continue;
      const volume = must(
        pod.volumes?.find((candidate) => candidate.name === mount.name),
        `volume ${mount.name}`,
      );
      if (!volume.configMap) continue;
      assert.equal(volume.configMap.name, CONFIG_MAP, `${container.name}: volume ${mount.name} mounts another ConfigMap`);
      const relative = value.slice(mount.mountPath.replace(/\/$/, "").length + 1);
      const item = volume.configMap.items?.find((candidate) => candidate.path === relative);
      const key = item ? item.key : relative;
      const content = must(data[key], `${CONFIG_MAP} key ${key} mounted for ${name}`);
      const copy = join(tempDir, `${container.name}-${key}`);
      writeFileSync(copy, content);
      env[name] = copy;
    }
  }
  return { env, sources };
}

function describeSource(variable: IEnvVar): string {
  const from = variable.valueFrom;
  if (from?.configMapKeyRef) return `configMap:${from.configMapKeyRef.name}`;
  if (from?.secretKeyRef) return `secret:${from.secretKeyRef.name}`;
  if (from?.fieldRef) return "fieldRef";
  return "literal";
}

/** The numeric port of a probe: a number, or the name of one of the container's ports. */
function probePort(container: IContainer, probe: IProbe | undefined, kind: string): number {
  const port = must(probe?.httpGet?.port, `${container.name}: ${kind} httpGet port`);
  if (typeof port === "number") return port;
  const named = container.ports?.find((candidate) => candidate.name === port);
  return must(named?.containerPort, `${container.name}: ${kind} port ${port} names no containerPort`);
}

function preStopMs(container: IContainer): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds * 1000;
  const command = preStop?.exec?.command ?? [];
  if (command[0] === "sleep") return Number(command[1]) * 1000;
  return 0;
}

const labelsMatch = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

describe("Kubernetes manifests (infra/k8s)", () => {
  test("every document validates against its kind's Kubernetes schema", () => {
    assert.ok(manifests.length >= 10, `only ${manifests.length} documents found`);
    for (const manifest of manifests) {
      assert.doesNotThrow(() => validate(manifest), `${manifest.file}: ${manifest.kind} ${manifest.name}`);
      assert.equal(
        (manifest.doc.metadata as { namespace?: string }).namespace ?? "switchyard",
        "switchyard",
        `${manifest.kind} ${manifest.name}: namespace`,
      );
    }
  });

  test("the schema check can fail (a wrong type and a missing required field are refused)", () => {
    const deployment = structuredClone(must(deployments[0], "a Deployment")) as unknown as Record<string, never>;
    const broken = structuredClone(deployment) as unknown as { spec: { replicas: unknown; template: { spec: IPodSpec } } };
    broken.spec.replicas = "two";
    assert.throws(() => new Deployment(broken as never).validate(), /replicas/);
    const noImage = structuredClone(deployment) as unknown as { spec: { template: { spec: { containers: unknown[] } } } };
    noImage.spec.template.spec.containers = [{ image: "x" }];
    assert.throws(() => new Deployment(noImage as never).validate(), /name/);
  });

  test("kustomization.yaml lists every manifest file, and only existing ones", () => {
    const kustomization = parse(readFileSync(join(k8sDir, "kustomization.yaml"), "utf8")) as {
      resources: string[];
      namespace: string;
    };
    const files = readdirSync(k8sDir).filter((name) => /\.ya?ml$/.test(name) && name !== "kustomization.yaml");
    assert.deepEqual([...kustomization.resources].sort(), [...files].sort());
    assert.equal(kustomization.namespace, "switchyard");
  });

  test("one Deployment per service, with the service's image and entrypoint argument", () => {
    const serviceDirs = readdirSync(join(root, "services")).filter((name) =>
      existsSync(join(root, "services", name, "src", "main.ts")),
    );
    assert.deepEqual(Object.keys(services).sort(), [...serviceDirs].sort(), "a service without an entry in this test");
    assert.deepEqual(deployments.map(serviceOf).sort(), [...serviceDirs].sort());
    const entrypoint = readFileSync(join(root, "infra", "docker-entrypoint.sh"), "utf8");
    const dockerfile = readFileSync(join(root, "infra", "Dockerfile"), "utf8");
    for (const deployment of deployments) {
      const service = serviceOf(deployment);
      const container = must(deployment.spec?.template.spec?.containers[0], "container");
      assert.equal(deployment.spec?.template.spec?.containers.length, 1, `${service}: one container`);
      assert.equal(container.image, `switchyard/${service}:0.1.0`);
      assert.match(entrypoint, new RegExp(`(^|[\\s|])${service}([\\s|)])`), `docker-entrypoint.sh does not start ${service}`);
      // scripts/build.mjs writes services/<name>/dist/main.js; the migrations stay beside dist/.
      assert.ok(dockerfile.includes(`services/${service}/dist/`), `the Dockerfile does not copy ${service}'s bundle`);
      if (existsSync(join(root, "services", service, "migrations"))) {
        assert.ok(dockerfile.includes(`services/${service}/migrations/`), `the Dockerfile does not copy ${service}'s migrations`);
      }
    }
  });

  for (const deployment of deployments) {
    const service = serviceOf(deployment);
    const settings = must(services[service], `settings of ${service}`);
    const pod = must(deployment.spec?.template.spec, `${service}: pod spec`);
    const container = must(pod.containers[0], `${service}: container`);

    test(`${service}: env comes only from ${CONFIG_MAP}/${SECRET}, and every variable is one its env.ts knows`, () => {
      const { env, sources } = resolveEnv(pod, container);
      assert.ok(
        sources.every((source) => source !== "literal"),
        `sources: ${sources.join(", ")}`,
      );
      // The service's own schema parses the whole environment (values included)...
      const parsed = settings.load(env);
      // ...and keeps exactly the keys it declares: a name it drops is unknown to it (renamed or misspelt).
      const unknown = Object.keys(env).filter((name) => !(name in parsed));
      assert.deepEqual(unknown, [], `variables services/${service}/src/env.ts does not declare`);
      assert.ok("SWITCHYARD_SHUTDOWN_TIMEOUT_MS" in env, "the shutdown timeout is set explicitly");
    });

    test(`${service}: readiness and liveness probes on the port it serves health on`, () => {
      const parsed = settings.load(resolveEnv(pod, container).env);
      const healthPort = parsed[settings.healthPort] as number;
      assert.ok(healthPort > 0, `${settings.healthPort} must be fixed (not 0: any free port)`);
      assert.ok(
        ["0.0.0.0", "::"].includes(String(parsed[settings.healthHost])),
        `${settings.healthHost}: the kubelet cannot reach loopback`,
      );
      const declared = (container.ports ?? []).map((port) => port.containerPort);
      assert.ok(declared.includes(healthPort), `containerPorts ${declared} lack ${settings.healthPort}=${healthPort}`);
      assert.equal(container.readinessProbe?.httpGet?.path, "/readyz");
      assert.equal(container.livenessProbe?.httpGet?.path, "/healthz");
      assert.equal(probePort(container, container.readinessProbe, "readinessProbe"), healthPort);
      assert.equal(probePort(container, container.livenessProbe, "livenessProbe"), healthPort);
      if (container.startupProbe) assert.equal(probePort(container, container.startupProbe, "startupProbe"), healthPort);
    });

    test(`${service}: terminationGracePeriodSeconds outlasts preStop + SWITCHYARD_SHUTDOWN_TIMEOUT_MS`, () => {
      const parsed = settings.load(resolveEnv(pod, container).env);
      const shutdownMs = parsed.SWITCHYARD_SHUTDOWN_TIMEOUT_MS as number;
      const graceMs = must(pod.terminationGracePeriodSeconds, "terminationGracePeriodSeconds") * 1000;
      assert.ok(
        graceMs > preStopMs(container) + shutdownMs,
        `${graceMs} ms ≤ preStop ${preStopMs(container)} ms + ${shutdownMs} ms`,
      );
      if (service === "gateway")
        assert.ok(preStopMs(container) > 0, "the gateway sleeps in preStop so load balancers stop first");
      if (service === "thread") {
        // A turn grace above this is silently cut (services/thread/src/main.ts).
        assert.ok(
          (parsed.THREAD_TURN_SHUTDOWN_GRACE_MS as number) <= shutdownMs - 3_000,
          "THREAD_TURN_SHUTDOWN_GRACE_MS too long",
        );
      }
    });

    test(`${service}: replicas, resources and a locked-down security context`, () => {
      assert.ok((deployment.spec?.replicas ?? 1) >= 2, "replicas ≥ 2");
      assert.ok(
        labelsMatch(deployment.spec?.selector.matchLabels, deployment.spec?.template.metadata?.labels),
        "selector matches the pod",
      );
      for (const part of ["requests", "limits"] as const) {
        assert.ok(container.resources?.[part]?.cpu, `resources.${part}.cpu`);
        assert.ok(container.resources?.[part]?.memory, `resources.${part}.memory`);
      }
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, "a numeric non-root user");
      assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
      assert.deepEqual(container.securityContext?.capabilities?.drop, ["ALL"]);
    });
  }

  test("HorizontalPodAutoscalers (CPU) for gateway and thread; a PodDisruptionBudget for every Deployment", () => {
    const hpas = ofKind<IHorizontalPodAutoscaler>("HorizontalPodAutoscaler");
    const pdbs = ofKind<IPodDisruptionBudget>("PodDisruptionBudget");
    for (const deployment of deployments) {
      const service = serviceOf(deployment);
      const name = deployment.metadata?.name;
      const hpa = hpas.find((item) => item.spec?.scaleTargetRef.kind === "Deployment" && item.spec.scaleTargetRef.name === name);
      if (must(services[service], service).hpa) {
        assert.ok(hpa, `${service}: no HorizontalPodAutoscaler`);
        assert.ok((hpa.spec?.minReplicas ?? 1) >= 2, `${service}: HPA minReplicas ≥ 2`);
        assert.ok(hpa.spec?.metrics?.some((metric) => metric.type === "Resource" && metric.resource?.name === "cpu"));
      }
      const labels = deployment.spec?.template.metadata?.labels;
      const pdb = pdbs.filter((item) => labelsMatch(item.spec?.selector?.matchLabels, labels));
      assert.equal(pdb.length, 1, `${service}: PodDisruptionBudgets selecting its pods`);
    }
    for (const hpa of hpas) {
      assert.ok(
        deployments.some((deployment) => deployment.metadata?.name === hpa.spec?.scaleTargetRef.name),
        `HPA ${hpa.metadata?.name} targets no Deployment`,
      );
    }
  });

  test("Services for the gateway and remote-control reach a declared container port", () => {
    const kubeServices = ofKind<IService>("Service");
    for (const deployment of deployments) {
      const service = serviceOf(deployment);
      if (!must(services[service], service).service) continue;
      const container = must(deployment.spec?.template.spec?.containers[0], "container");
      const matching = kubeServices.find((item) => labelsMatch(item.spec?.selector, deployment.spec?.template.metadata?.labels));
      assert.ok(matching, `${service}: no Service selects its pods`);
      for (const port of matching.spec?.ports ?? []) {
        const target = port.targetPort ?? port.port;
        const reached = container.ports?.some((declared) =>
          typeof target === "number" ? declared.containerPort === target : declared.name === target,
        );
        assert.ok(reached, `${service}: Service port ${port.port} → ${target} is no containerPort`);
      }
    }
  });

  test("the Secret holds clearly marked placeholders only, and the tenant limits file is JSON", () => {
    for (const [key, value] of Object.entries(secretValues())) {
      assert.match(value, /REPLACE_ME/, `${SECRET} ${key} is not a marked placeholder`);
    }
    const limits = JSON.parse(must(configMap?.data?.["tenant-limits.json"], "tenant-limits.json")) as unknown;
    assert.equal(typeof limits, "object");
  });

  test("the env-name check can fail: a schema drops a name it does not declare", () => {
    const parsed = loadThreadEnv({ THREAD_HEALTH_PORTT: "8081" });
    assert.equal("THREAD_HEALTH_PORTT" in parsed, false);
    assert.equal("THREAD_HEALTH_PORT" in loadThreadEnv({ THREAD_HEALTH_PORT: "8081" }), true);
  });
});

describe("docker-compose: OpenTelemetry collector and trace viewer", () => {
  const compose = parse(readFileSync(join(root, "infra", "docker-compose.yml"), "utf8")) as {
    services: Record<string, { image?: string; ports?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
  };
  const collectorConfig = parse(readFileSync(join(root, "infra", "otel-collector.yaml"), "utf8")) as {
    receivers: Record<string, { protocols?: { http?: { endpoint?: string } } }>;
    processors: Record<string, unknown>;
    exporters: Record<string, { endpoint?: string; tls?: { insecure?: boolean } }>;
    service: { pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
  };

  test("compose runs the collector (OTLP/HTTP on 4318, with its config) and Jaeger (UI on 16686)", () => {
    const collector = must(compose.services["otel-collector"], "otel-collector service");
    assert.match(must(collector.image, "collector image"), /otel\/opentelemetry-collector/);
    assert.ok(
      collector.ports?.some((port) => port.endsWith(":4318")),
      "OTLP/HTTP published",
    );
    assert.ok(collector.volumes?.some((volume) => volume.startsWith("./otel-collector.yaml:")));
    const jaeger = must(compose.services.jaeger, "jaeger service");
    assert.match(must(jaeger.image, "jaeger image"), /jaegertracing\/all-in-one/);
    assert.ok(
      jaeger.ports?.some((port) => port.endsWith(":16686")),
      "Jaeger UI published",
    );
  });

  test("the collector's traces pipeline exports OTLP to Jaeger; every pipeline component is defined", () => {
    assert.equal(collectorConfig.receivers.otlp?.protocols?.http?.endpoint, "0.0.0.0:4318");
    const pipelines = collectorConfig.service.pipelines;
    for (const [name, pipeline] of Object.entries(pipelines)) {
      for (const receiver of pipeline.receivers)
        assert.ok(receiver in collectorConfig.receivers, `${name}: receiver ${receiver}`);
      for (const processor of pipeline.processors ?? [])
        assert.ok(processor in collectorConfig.processors, `${name}: ${processor}`);
      for (const exporter of pipeline.exporters)
        assert.ok(exporter in collectorConfig.exporters, `${name}: exporter ${exporter}`);
    }
    const toJaeger = must(pipelines.traces, "traces pipeline").exporters.filter((name) => {
      const exporter = collectorConfig.exporters[name];
      const [host] = (exporter?.endpoint ?? "").split(":");
      return name.split("/")[0] === "otlp" && host === "jaeger" && host in compose.services;
    });
    assert.equal(toJaeger.length, 1, "one otlp exporter to the jaeger service");
    assert.equal(collectorConfig.exporters[must(toJaeger[0], "exporter")]?.endpoint, "jaeger:4317");
  });
});
