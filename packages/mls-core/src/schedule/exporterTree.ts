import type { CipherSuite } from "../crypto/provider.js";
import { UsageError } from "../errors.js";
import { toLeafIndex } from "../treemath.js";
import { DerivationTree } from "./derivationTree.js";

/**
 * The forward-secure exporter of draft-ietf-mls-extensions §2.3: an Exporter Tree with 2^16
 * leaves rooted at `application_export_secret`, one leaf per ComponentID.
 *
 *   SafeExportSecret(ComponentID) = tree_node_[LeafIndex(ComponentID)]_secret
 *
 * Exporting consumes the component's secret: a second export in the same epoch is refused.
 */
export class ExporterTree {
  static readonly LEAVES = 1 << 16;
  private readonly tree: DerivationTree;

  constructor(suite: CipherSuite, applicationExportSecret: Uint8Array) {
    this.tree = new DerivationTree(suite, applicationExportSecret, ExporterTree.LEAVES);
  }

  /** True if the component's secret was not exported yet in this epoch. */
  available(componentId: number): boolean {
    return this.tree.available(toLeafIndex(checkId(componentId)));
  }

  async safeExportSecret(componentId: number): Promise<Uint8Array> {
    const leaf = toLeafIndex(checkId(componentId));
    if (!this.tree.available(leaf))
      throw new UsageError(
        `the exported secret of component ${componentId} was already consumed in this epoch`,
      );
    return this.tree.take(leaf);
  }

  exportNodes(): { node: number; secret: Uint8Array }[] {
    return this.tree.exportNodes();
  }

  static fromNodes(
    suite: CipherSuite,
    nodes: readonly { node: number; secret: Uint8Array }[],
  ): ExporterTree {
    const t = new ExporterTree(suite, new Uint8Array(suite.kdf.Nh));
    t.tree.importNodes(nodes);
    return t;
  }

  destroy(): void {
    this.tree.destroy();
  }
}

function checkId(componentId: number): number {
  if (!Number.isInteger(componentId) || componentId < 0 || componentId > 0xffff)
    throw new UsageError("a ComponentID is a uint16");
  return componentId;
}
