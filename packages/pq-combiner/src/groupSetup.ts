import {
  appDataDictionaryExtension,
  type Capabilities,
  type ComponentHandler,
  ComponentId,
  CredentialType,
  componentsListEntry,
  type Extension,
  ExtensionType,
  ExtProposalType,
  encodeBytes,
  extType,
  type GroupConfig,
  getExtension,
  makeExtension,
  ProtocolVersion,
  requiredCapabilitiesCodec,
  wireCode,
  wireFormatsCodec,
} from "@hpqmls/mls-core";
import { type ApqInfo, apqComponentHandler, apqInfoCodec } from "./apqInfo.js";
import { apqCodePoints } from "./codepoints.js";

/**
 * The MLS plumbing both groups of a session need (hpqmls decision E6, which the draft leaves
 * implicit): capabilities listing the extension types and the AppDataUpdate proposal, leaves that
 * advertise the `apq_message_pair` wire format and the components, and GroupContext extensions
 * that require them of every member.
 */

/** Leaf capabilities for one group of a session. */
export function apqCapabilities(suite: number): Capabilities {
  return {
    versions: [ProtocolVersion.mls10],
    cipherSuites: [suite],
    extensions: [
      extType("app_data_dictionary"),
      extType("supported_wire_formats"),
      extType("required_wire_formats"),
    ],
    proposals: [wireCode("proposal", ExtProposalType.app_data_update)],
    credentials: [CredentialType.basic, CredentialType.x509],
  };
}

/** LeafNode extensions: supported_wire_formats and the component lists (extensions §3). */
export function apqLeafExtensions(): Extension[] {
  const c = apqCodePoints().componentId;
  return [
    makeExtension(extType("supported_wire_formats"), wireFormatsCodec, [
      apqCodePoints().messagePairWireFormat,
    ]),
    appDataDictionaryExtension([
      componentsListEntry(ComponentId.app_components, [c]),
      componentsListEntry(ComponentId.safe_aad, [c]),
    ]),
  ];
}

/**
 * GroupContext extensions at creation (decision E5): the app_data_dictionary with APQInfo (and,
 * in the T group, `safe_aad` so that members can flag Updates as FULL requests, decision E7),
 * required_capabilities and required_wire_formats.
 */
export function apqGroupContextExtensions(info: ApqInfo, traditional: boolean): Extension[] {
  const c = apqCodePoints().componentId;
  const entries = [
    componentsListEntry(ComponentId.app_components, [c]),
    ...(traditional ? [componentsListEntry(ComponentId.safe_aad, [c])] : []),
    { componentId: c, data: encodeBytes(apqInfoCodec, info) },
  ];
  return [
    appDataDictionaryExtension(entries),
    makeExtension(ExtensionType.required_capabilities, requiredCapabilitiesCodec, {
      extensionTypes: [extType("app_data_dictionary"), extType("required_wire_formats")],
      proposalTypes: [wireCode("proposal", ExtProposalType.app_data_update)],
      credentialTypes: [],
    }),
    makeExtension(extType("required_wire_formats"), wireFormatsCodec, [
      apqCodePoints().messagePairWireFormat,
    ]),
  ];
}

/**
 * Whether a GroupContext still requires the `apq_message_pair` wire format of every member (the
 * draft's "Session creation": both GroupContexts MUST list it in required_wire_formats).
 */
export function requiresMessagePair(extensions: readonly Extension[]): boolean {
  try {
    const formats = getExtension(extensions, extType("required_wire_formats"), wireFormatsCodec);
    return formats?.includes(apqCodePoints().messagePairWireFormat) ?? false;
  } catch {
    return false;
  }
}

/** A group configuration with the `apq_mls_info` component registered. */
export function apqGroupConfig(base: Partial<GroupConfig> = {}): Partial<GroupConfig> {
  const components = new Map<number, ComponentHandler>(base.components ?? []);
  components.set(apqCodePoints().componentId, apqComponentHandler);
  return { ...base, components };
}
