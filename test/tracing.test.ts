// One trace per client request across processes: the gateway's request span, the service's lane
// span and the Postgres statement spans share a trace id and form a parent chain. Spans are received
// by a loopback OTLP/HTTP (JSON) endpoint standing in for a collector.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { CodexTestClient } from "./harness/client.js";
import { type Stack, startStack } from "./harness/stack.js";

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

describe("distributed tracing", () => {
  let stack: Stack;
  let collector: Server;
  const spans: ReceivedSpan[] = [];

  before(async () => {
    collector = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        try {
          const payload = JSON.parse(body) as {
            resourceSpans: {
              resource: { attributes: { key: string; value: { stringValue?: string } }[] };
              scopeSpans: { spans: { name: string; traceId: string; spanId: string; parentSpanId?: string }[] }[];
            }[];
          };
          for (const resourceSpans of payload.resourceSpans ?? []) {
            const service =
              resourceSpans.resource.attributes.find((attribute) => attribute.key === "service.name")?.value.stringValue ?? "";
            for (const scope of resourceSpans.scopeSpans) {
              for (const span of scope.spans) {
                spans.push({
                  service,
                  name: span.name,
                  traceId: span.traceId,
                  spanId: span.spanId,
                  parentSpanId: span.parentSpanId ?? "",
                });
              }
            }
          }
        } catch {
          // not JSON: ignored, the assertions below will say nothing arrived
        }
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const address = collector.address();
    const endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const tracingEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: "100" };
    stack = await startStack("tracing", { threadEnv: tracingEnv, configEnv: tracingEnv, gatewayEnv: tracingEnv });
  });

  after(async () => {
    await stack?.stop();
    await new Promise((resolve) => collector?.close(resolve));
  });

  test("a keyed write is one trace: gateway request → keyed lane → Postgres", async () => {
    const client = await CodexTestClient.open(stack.url);
    const { thread } = await client.call("thread/start", {});
    await client.call("thread/name/set", { threadId: thread.id, name: "traced" });
    await client.close();

    const deadline = Date.now() + 15_000;
    let chain: ReceivedSpan[] = [];
    while (Date.now() < deadline) {
      const request = spans.find((span) => span.name === "request thread/name/set");
      const keyed = request && spans.find((span) => span.name === "keyed thread/name/set" && span.traceId === request.traceId);
      const statement = keyed && spans.find((span) => span.name === "pg set name" && span.traceId === request.traceId);
      if (request && keyed && statement) {
        chain = [request, keyed, statement];
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(chain.length, 3, `spans received: ${spans.map((span) => `${span.service}:${span.name}`).join(", ")}`);
    const [request, keyed, statement] = chain as [ReceivedSpan, ReceivedSpan, ReceivedSpan];
    assert.equal(request.service, "switchyard-gateway");
    assert.equal(keyed.service, "switchyard-thread");
    assert.equal(keyed.parentSpanId, request.spanId, "the lane span is the gateway request's child");
    assert.equal(statement.parentSpanId, keyed.spanId, "the Postgres statement is the lane span's child");
  });

  test("an unkeyed request is one trace too", async () => {
    const request = spans.find((span) => span.name === "request thread/start");
    assert.ok(request);
    const served = spans.find((span) => span.name === "rpc thread/start" && span.traceId === request.traceId);
    assert.ok(served, "the service's span joined the gateway's trace");
    assert.equal(served.parentSpanId, request.spanId);
    const statement = spans.find((span) => span.name === "pg insert threads" && span.traceId === request.traceId);
    assert.equal(statement?.parentSpanId, served.spanId);
  });

  test("a thread start whose config inputs the config service holds costs it one statement, and the next one none", async () => {
    const client = await CodexTestClient.open(stack.url);
    /** Starts a thread and returns its trace id (the request span that appears next). */
    const tracedStart = async () => {
      const known = new Set(spans.filter((span) => span.name === "request thread/start").map((span) => span.traceId));
      await client.call("thread/start", { cwd: "/traced/warm" });
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const request = spans.find((span) => span.name === "request thread/start" && !known.has(span.traceId));
        if (request) return request.traceId;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.fail("the start's request span never arrived");
    };
    const first = await tracedStart();
    const second = await tracedStart();
    const third = await tracedStart();
    await client.close();
    // Statement spans end before the request's, so they were exported with it or earlier.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const statementsOf = (traceId: string) =>
      spans
        .filter((span) => span.traceId === traceId && span.service === "switchyard-config" && span.name.startsWith("pg "))
        .map((span) => span.name);
    // The first start of this cwd reads its inputs (the generation, the session config, the layers).
    assert.ok(statementsOf(first).includes("pg config generation"), `first start: ${statementsOf(first).join(", ")}`);
    assert.deepEqual(statementsOf(second), ["pg write thread config at generation"]);
    // That answer came back marked reusable: the third start never reaches the config service, and
    // the thread service stores the snapshot and the thread in one statement.
    const services = new Set(spans.filter((span) => span.traceId === third).map((span) => span.service));
    assert.deepEqual([...services].sort(), ["switchyard-gateway", "switchyard-thread"]);
    assert.deepEqual(
      spans.filter((span) => span.traceId === third && span.name.startsWith("pg ")).map((span) => span.name),
      ["pg insert threads"],
    );
  });
});
