// How the thread service reaches model providers: through the deployment's egress policy
// (SWITCHYARD_EGRESS_DENY / SWITCHYARD_EGRESS_ALLOW, packages/runtime/src/egress.ts). A provider's
// `base_url` is the tenant's to choose, so every connection to one is made by an undici Agent whose
// lookup hands the socket only addresses the policy allows, and a `base_url` that is an IP address
// is checked before the request is sent.
import { checkHost, type EgressPolicy, guardedLookup } from "@switchyard/runtime";
import { Agent, fetch as undiciFetch } from "undici";

export interface ProviderEgress {
  /** fetch, through the policy: rejects with an error whose cause is EgressDeniedError when refused. */
  fetch(url: string, init: RequestInit): Promise<Response>;
}

export function providerEgress(policy: EgressPolicy): ProviderEgress {
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(policy) } });
  return {
    async fetch(url, init) {
      checkHost(policy, new URL(url).hostname);
      // undici's fetch is the one Node's global fetch is built on; its types are its own.
      return (await undiciFetch(url, { ...(init as object), dispatcher })) as unknown as Response;
    },
  };
}
