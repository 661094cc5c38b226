// The logger's trace-id mixin: log lines inside an active, valid span carry its trace and span ids;
// lines outside one (or inside an invalid one) carry neither.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  type Context,
  type ContextManager,
  context,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { createLogger, traceFields } from "./logger.js";

/** A synchronous context manager: enough for `context.with` around a log call. */
class StackContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;
  active(): Context {
    return this.current;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ) {
    const previous = this.current;
    this.current = ctx;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}

const spanContext = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: TraceFlags.SAMPLED };

before(() => assert.ok(context.setGlobalContextManager(new StackContextManager()), "context manager installed"));
after(() => context.disable());

function logLines(run: (log: ReturnType<typeof createLogger>) => void): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(
    { service: "test", instanceId: "test-1", level: "info" },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  run(log);
  return lines;
}

test("a line logged inside an active span carries its trace and span ids", () => {
  const [line] = logLines((log) => context.with(trace.setSpanContext(ROOT_CONTEXT, spanContext), () => log.info("inside")));
  assert.equal(line?.trace_id, spanContext.traceId);
  assert.equal(line?.span_id, spanContext.spanId);
  assert.equal(line?.service, "test");
});

test("a line outside any span, or inside an invalid one, carries no trace id", () => {
  const lines = logLines((log) => {
    log.info("outside");
    context.with(trace.setSpanContext(ROOT_CONTEXT, INVALID_SPAN_CONTEXT), () => log.info("invalid"));
  });
  assert.equal(lines.length, 2);
  for (const line of lines) {
    assert.equal("trace_id" in line, false, `${line.msg} has no trace_id`);
    assert.equal("span_id" in line, false, `${line.msg} has no span_id`);
  }
  assert.deepEqual(traceFields(ROOT_CONTEXT), {});
});
