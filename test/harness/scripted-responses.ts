// The scripted Responses-API provider lives with the CLI (`pnpm start` runs it as the offline
// default); the tests and the benchmark use the same one.
export {
  lastUserText,
  type ScriptedResponses,
  type ScriptStep,
  startScriptedResponses,
} from "../../packages/cli/src/provider/scripted-responses.js";
