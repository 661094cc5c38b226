// The body of a turn's Responses API request (what `streamResponses` posts), and the mapping of a
// client's dynamic tools to the function tools the model sees.
//
// Dynamic tool names: a tool declared with a `namespace` is offered to the model as
// `<namespace>__<name>` (function names are flat); `findDynamicTool` maps a called name back to its spec.
import type { DynamicToolSpec } from "@switchyard/protocol";

export interface ResponsesFunctionTool {
  type: "function";
  name: string;
  description: string;
  parameters: unknown;
  strict: false;
}

export interface ResponsesRequestParams {
  model: string;
  instructions?: string | null;
  /** Responses API input items (messages, function calls and their outputs, …), sent as they are. */
  input: unknown[];
  tools?: ResponsesFunctionTool[];
  /** A JSON Schema the final message must follow (structured output). */
  outputSchema?: unknown;
  reasoningEffort?: string | null;
  reasoningSummary?: string | null;
  promptCacheKey?: string | null;
  /** The Responses API's `service_tier` (service-tier.ts's requestServiceTier); absent: standard routing. */
  serviceTier?: string;
  /** Turns are never stored at the provider: the thread's history travels in `input`. */
  store?: false;
}

export const NAMESPACE_SEPARATOR = "__";

/** The function name a dynamic tool is offered under. */
export function dynamicToolName(spec: Pick<DynamicToolSpec, "name" | "namespace">): string {
  return spec.namespace ? `${spec.namespace}${NAMESPACE_SEPARATOR}${spec.name}` : spec.name;
}

export function dynamicToolToFunctionTool(spec: DynamicToolSpec): ResponsesFunctionTool {
  return {
    type: "function",
    name: dynamicToolName(spec),
    description: spec.description ?? "",
    parameters: spec.inputSchema ?? { type: "object", properties: {} },
    strict: false,
  };
}

/** The dynamic tool a model's function call names, if any. */
export function findDynamicTool<Spec extends DynamicToolSpec>(specs: readonly Spec[], functionName: string): Spec | undefined {
  return specs.find((spec) => dynamicToolName(spec) === functionName);
}

export function responsesRequestBody(params: ResponsesRequestParams): Record<string, unknown> {
  const reasoning: Record<string, string> = {};
  if (params.reasoningEffort) reasoning.effort = params.reasoningEffort;
  // Codex's `model_reasoning_summary = "none"` means: ask for no summary (the API has no "none").
  if (params.reasoningSummary && params.reasoningSummary !== "none") reasoning.summary = params.reasoningSummary;
  return {
    model: params.model,
    ...(params.instructions ? { instructions: params.instructions } : {}),
    input: params.input,
    tools: params.tools ?? [],
    tool_choice: "auto",
    parallel_tool_calls: false,
    ...(Object.keys(reasoning).length > 0 ? { reasoning } : {}),
    store: false,
    stream: true,
    include: [],
    ...(params.promptCacheKey ? { prompt_cache_key: params.promptCacheKey } : {}),
    ...(params.serviceTier ? { service_tier: params.serviceTier } : {}),
    ...(params.outputSchema !== undefined && params.outputSchema !== null
      ? { text: { format: { type: "json_schema", name: "codex_output_schema", schema: params.outputSchema, strict: true } } }
      : {}),
  };
}
