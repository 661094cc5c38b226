// The turn scenarios' model provider, in a process of its own (as a real provider is elsewhere): the
// CLI's scripted Responses-API server (real HTTP + SSE), answering the bench's prompts
// (turn-contract.ts) and anything else (a structured-output request, …) as the scripted server does.
// Both sides of every turn scenario call this one process. Prints a ready line with its base URL;
// SIGTERM closes it.
import { lastUserText, startScriptedResponses } from "../../packages/cli/src/provider/scripted-responses.js";
import { monotonicMs, SHORT_PROMPT, SHORT_REPLY, STAMPED_PROMPT, stamp, TURN_PROVIDER_READY } from "./turn-contract.js";

const provider = await startScriptedResponses({
  recordRequests: false,
  stepFor: (body) => {
    const [word, count, gapMs] = lastUserText(body).trim().split(/\s+/);
    if (word === SHORT_PROMPT) return { text: SHORT_REPLY, chunks: 1 };
    if (word !== STAMPED_PROMPT) return undefined;
    return {
      generatedDeltas: {
        count: Number(count),
        gapMs: Number(gapMs),
        makeDelta: (index) => stamp(index, monotonicMs()),
      },
    };
  },
});

process.once("SIGTERM", () => {
  void provider.close().finally(() => process.exit(0));
});
console.log(JSON.stringify({ event: TURN_PROVIDER_READY, baseUrl: provider.baseUrl }));
