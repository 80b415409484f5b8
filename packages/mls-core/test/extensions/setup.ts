/** Groups whose members implement draft-ietf-mls-extensions, for the extension suites. */
import {
  AppDataUpdateOperation,
  appDataDictionaryExtension,
  type Capabilities,
  type ComponentContext,
  type ComponentData,
  type ComponentHandler,
  ComponentId,
  CredentialType,
  componentsListEntry,
  concat,
  type Extension,
  ExtProposalType,
  extType,
  type GroupConfig,
  type Proposal,
  ProtocolVersion,
  toHex,
  utf8,
  wireCode,
} from "../../src/index.js";
import { buildGroup, type GroupSpec, suite, type TestGroup } from "../validation/support.js";

export const DICT = extType("app_data_dictionary");
export const SWF = extType("supported_wire_formats");
export const RWF = extType("required_wire_formats");
export const P_ADU = wireCode("proposal", ExtProposalType.app_data_update);
export const P_EPH = wireCode("proposal", ExtProposalType.app_ephemeral);
export const P_SELF = wireCode("proposal", ExtProposalType.self_remove);

/** Two application components. */
export const A = 0x8001;
export const B = 0x8002;

/** Capabilities of an extension-aware client (every type of the draft listed). */
export function extCaps(o: Partial<Capabilities> = {}): Capabilities {
  return {
    versions: [ProtocolVersion.mls10],
    cipherSuites: [suite.id],
    extensions: [DICT, SWF, RWF],
    proposals: [P_ADU, P_EPH, P_SELF],
    credentials: [CredentialType.basic, CredentialType.x509],
    ...o,
  };
}

/** A LeafNode / KeyPackage dictionary advertising `components` in app_components (§3). */
export function leafDictionary(
  components: readonly number[],
  extra: ComponentData[] = [],
): Extension {
  return appDataDictionaryExtension([
    componentsListEntry(ComponentId.app_components, [...components]),
    ...extra,
  ]);
}

/** What the component hooks of one member saw, in order. */
export type Log = string[];

/**
 * A component that appends every update to its data (refusing the update "bad"), accepts removal
 * unless told otherwise, and accepts ephemeral data unless it is "bad".
 */
export function appendComponent(
  id: number,
  log: Log,
  o: { refuseRemove?: boolean } = {},
): ComponentHandler {
  const bad = toHex(utf8("bad"));
  return {
    applyUpdate(
      current: Uint8Array | undefined,
      updates: readonly Uint8Array[],
      ctx: ComponentContext,
    ) {
      log.push(`update ${id} [${updates.map(toHex).join(",")}]${ctx.external ? " external" : ""}`);
      if (updates.some((u) => toHex(u) === bad)) return undefined;
      return concat(current ?? new Uint8Array(0), ...updates);
    },
    allowRemove(_current: Uint8Array, _ctx: ComponentContext) {
      log.push(`remove ${id}`);
      return !o.refuseRemove;
    },
    ephemeral(data: Uint8Array, ctx: ComponentContext) {
      log.push(`ephemeral ${id} ${toHex(data)}${ctx.external ? " external" : ""}`);
      return toHex(data) !== bad;
    },
  };
}

export interface ExtGroup extends TestGroup {
  log(name: string): Log;
}

export interface ExtGroupSpec extends Partial<GroupSpec> {
  readonly names?: readonly string[];
  /** Components each member knows (default A and B). */
  readonly known?: (name: string) => readonly number[];
  readonly refuseRemove?: boolean;
  /** Further components of every member. */
  readonly extra?: ReadonlyMap<number, ComponentHandler>;
}

/** A group of extension-aware members with logging components A and B. */
export async function extGroup(spec: ExtGroupSpec = {}): Promise<ExtGroup> {
  const logs = new Map<string, Log>();
  const names = spec.names ?? ["alice", "bob", "carol"];
  for (const n of names) logs.set(n, []);
  const configOf = (n: string): Partial<GroupConfig> => {
    const log = logs.get(n) ?? [];
    const ids = spec.known?.(n) ?? [A, B];
    return {
      handshakeAsPublicMessage: true,
      ...spec.config,
      ...spec.configOf?.(n),
      components: new Map([
        ...ids.map(
          (id) =>
            [id, appendComponent(id, log, { refuseRemove: spec.refuseRemove ?? false })] as const,
        ),
        ...(spec.extra ?? new Map()),
      ]),
    };
  };
  const t = await buildGroup({
    capabilities: () => extCaps(),
    leafExtensions: () => [leafDictionary([A, B])],
    ...spec,
    names,
    configOf,
  });
  return { ...t, log: (n) => logs.get(n)! };
}

export const update = (componentId: number, data: string): Proposal => ({
  proposalType: ExtProposalType.app_data_update,
  componentId,
  op: AppDataUpdateOperation.update,
  update: utf8(data),
});

export const removeData = (componentId: number): Proposal => ({
  proposalType: ExtProposalType.app_data_update,
  componentId,
  op: AppDataUpdateOperation.remove,
});

export const ephemeral = (componentId: number, data: string): Proposal => ({
  proposalType: ExtProposalType.app_ephemeral,
  componentId,
  data: utf8(data),
});
