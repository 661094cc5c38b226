// Plugins and their marketplaces, answered by the gateway as Codex 0.171.0 answers them with no
// marketplace on its machine and no ChatGPT sign-in (each text read off the binary): a cloud session
// has no marketplace files, so a local marketplace named by path does not exist; the remote catalog
// needs a ChatGPT sign-in, and none is involved. What Codex does with nothing installed (reconcile,
// upgrade all, uninstall a local plugin id) it does here too. Adding a marketplace (a git clone or a
// directory onto the app-server's machine) needs a machine: it is answered `needsMachine`.
import { z } from "zod";
import { defineMethods } from "../define.js";
import { AbsolutePathString, serdeStruct } from "../serde-types.js";

const PluginSource = {
  marketplacePath: AbsolutePathString.nullish(),
  pluginName: z.string(),
  remoteMarketplaceName: z.string().nullish(),
};
export const PluginReadParams = serdeStruct("PluginReadParams", PluginSource);
export type PluginReadParams = z.infer<typeof PluginReadParams>;
export const PluginInstallParams = serdeStruct("PluginInstallParams", {
  ...PluginSource,
  installAttemptId: z.string().nullish(),
});
export const PluginSkillReadParams = serdeStruct("PluginSkillReadParams", {
  remoteMarketplaceName: z.string(),
  remotePluginId: z.string(),
  skillName: z.string(),
});
export const PluginUninstallParams = serdeStruct("PluginUninstallParams", { pluginId: z.string() });
export const PluginUninstallResponse = z.object({});
export const MarketplaceRemoveParams = serdeStruct("MarketplaceRemoveParams", { marketplaceName: z.string() });
export const MarketplaceUpgradeParams = serdeStruct("MarketplaceUpgradeParams", { marketplaceName: z.string().nullish() });
export const MarketplaceUpgradeResponse = z.object({
  selectedMarketplaces: z.array(z.string()),
  upgradedRoots: z.array(z.string()),
  errors: z.array(z.unknown()),
});
export const PluginReconcileParams = serdeStruct("PluginReconcileParams", { reason: z.string().nullish() });
export const PluginReconcileResponse = z.object({
  changedPlugins: z.array(z.unknown()),
  failedRemotePluginIds: z.array(z.string()),
  failedMaterializationRemotePluginIds: z.array(z.string()),
});
export const PluginShareSaveParams = serdeStruct("PluginShareSaveParams", {
  pluginPath: AbsolutePathString,
  remotePluginId: z.string().nullish(),
  discoverability: z.unknown().optional(),
  shareTargets: z.array(z.unknown()).nullish(),
});
export const PluginShareUpdateTargetsParams = serdeStruct("PluginShareUpdateTargetsParams", {
  remotePluginId: z.string(),
  discoverability: z.custom<unknown>((value) => value !== undefined),
  shareTargets: z.array(z.unknown()),
});
export const PluginShareCheckoutParams = serdeStruct("PluginShareCheckoutParams", { remotePluginId: z.string() });
export const PluginShareDeleteParams = serdeStruct("PluginShareDeleteParams", { remotePluginId: z.string() });
export const SkillsExtraRootsSetParams = serdeStruct("SkillsExtraRootsSetParams", { extraRoots: z.array(AbsolutePathString) });
export const SkillsExtraRootsSetResponse = z.object({});

export const PluginMethod = {
  pluginRead: "plugin/read",
  pluginSkillRead: "plugin/skill/read",
  pluginInstall: "plugin/install",
  pluginUninstall: "plugin/uninstall",
  pluginReconcile: "plugin/reconcile",
  marketplaceRemove: "marketplace/remove",
  marketplaceUpgrade: "marketplace/upgrade",
  pluginShareSave: "plugin/share/save",
  pluginShareUpdateTargets: "plugin/share/updateTargets",
  pluginShareCheckout: "plugin/share/checkout",
  pluginShareDelete: "plugin/share/delete",
  skillsExtraRootsSet: "skills/extraRoots/set",
} as const;

const local = { owner: "gateway", scope: { kind: "unkeyed" }, experimental: false, paramsRequired: true } as const;
const refused = (what: string) => `${what}: refused as Codex refuses it with no such marketplace file or no ChatGPT sign-in.`;

export const pluginMethods = defineMethods({
  [PluginMethod.pluginRead]: { ...local, params: PluginReadParams, result: z.never(), summary: refused("A plugin's details") },
  [PluginMethod.pluginSkillRead]: {
    ...local,
    params: PluginSkillReadParams,
    result: z.never(),
    summary: refused("A remote plugin's skill"),
  },
  [PluginMethod.pluginInstall]: {
    ...local,
    params: PluginInstallParams,
    result: z.never(),
    summary: refused("Installing a plugin"),
  },
  [PluginMethod.pluginUninstall]: {
    ...local,
    params: PluginUninstallParams,
    result: PluginUninstallResponse,
    summary:
      "Uninstalls a plugin: a local one (`name@marketplace`) is not installed, so nothing is left to do; a remote one is refused without a ChatGPT sign-in.",
  },
  [PluginMethod.pluginReconcile]: {
    ...local,
    params: PluginReconcileParams,
    result: PluginReconcileResponse,
    summary: "Reconciles installed plugins: none are installed, so nothing changes.",
  },
  [PluginMethod.marketplaceRemove]: {
    ...local,
    params: MarketplaceRemoveParams,
    result: z.never(),
    summary: "Removes a marketplace: none is configured or installed.",
  },
  [PluginMethod.marketplaceUpgrade]: {
    ...local,
    params: MarketplaceUpgradeParams,
    result: MarketplaceUpgradeResponse,
    summary: "Upgrades Git marketplaces: none is configured.",
  },
  [PluginMethod.pluginShareSave]: {
    ...local,
    params: PluginShareSaveParams,
    result: z.never(),
    summary: refused("Sharing a plugin"),
  },
  [PluginMethod.pluginShareUpdateTargets]: {
    ...local,
    params: PluginShareUpdateTargetsParams,
    result: z.never(),
    summary: refused("A plugin share's targets"),
  },
  [PluginMethod.pluginShareCheckout]: {
    ...local,
    params: PluginShareCheckoutParams,
    result: z.never(),
    summary: refused("Checking out a plugin share"),
  },
  [PluginMethod.pluginShareDelete]: {
    ...local,
    params: PluginShareDeleteParams,
    result: z.never(),
    summary: refused("Deleting a plugin share"),
  },
  [PluginMethod.skillsExtraRootsSet]: {
    ...local,
    params: SkillsExtraRootsSetParams,
    result: SkillsExtraRootsSetResponse,
    summary:
      "Extra skill roots on the app-server's machine: taken, and (a cloud session has no files there) no skill is found in them.",
  },
});
