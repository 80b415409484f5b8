import {
  bytesEqual,
  createUpdatePath,
  decodeBytes,
  decryptUpdatePath,
  encodeBytes,
  fromHex,
  groupContextCodec,
  type LeafIndex,
  leafToNode,
  mergeUpdatePath,
  nodeKeyPairFromPathSecret,
  ProtocolVersion,
  RatchetTree,
  ratchetTreeCodec,
  toLeafIndex,
  toNodeIndex,
  updatePathCodec,
} from "@hpqmls/mls-core";
import { expectEqualBytes, expectTrue, Fields } from "../fields.js";
import type { VectorRunner } from "../runner.js";
import { vectorSuite } from "../suite.js";
import { hpkePrivateKey, signaturePrivateKey } from "./keys.js";

interface LeafPrivate {
  index: LeafIndex;
  keys: Map<number, Uint8Array>;
  signaturePriv: Uint8Array;
}

export const treekem: VectorRunner = {
  name: "treekem",
  async runCase(c) {
    const f = new Fields(c);
    const cipherSuite = f.num("cipher_suite");
    const suite = vectorSuite(cipherSuite);
    const tree = RatchetTree.fromNodes(decodeBytes(ratchetTreeCodec, f.hex("ratchet_tree")));
    const groupId = f.hex("group_id");
    const epoch = BigInt(f.num("epoch"));
    const confirmedTranscriptHash = f.hex("confirmed_transcript_hash");
    const context = (treeHash: Uint8Array) =>
      encodeBytes(groupContextCodec, {
        version: ProtocolVersion.mls10,
        cipherSuite,
        groupId,
        epoch,
        treeHash,
        confirmedTranscriptHash,
        extensions: [],
      });

    // Private state of some leaves, checked against the public tree.
    const privates: LeafPrivate[] = [];
    for (const lp of f.objects("leaves_private")) {
      const index = toLeafIndex(lp.num("index"));
      const keys = new Map<number, Uint8Array>([
        [leafToNode(index), hpkePrivateKey(cipherSuite, lp.hex("encryption_priv"))],
      ]);
      const leaf = tree.leaf(index);
      if (leaf === undefined) throw new Error(`leaf ${index} of leaves_private is blank`);
      for (const ps of lp.objects("path_secrets")) {
        const node = toNodeIndex(ps.num("node"));
        const kp = await nodeKeyPairFromPathSecret(suite, ps.hex("path_secret"));
        const pub = tree.parentNode(node)?.encryptionKey;
        expectTrue(
          `leaf ${index}: node ${node} is blank or has another key`,
          pub !== undefined && bytesEqual(pub, kp.publicKey),
        );
        keys.set(node, kp.privateKey);
      }
      privates.push({
        index,
        keys,
        signaturePriv: signaturePrivateKey(cipherSuite, lp.hex("signature_priv")),
      });
    }

    for (const up of f.objects("update_paths")) {
      const sender = toLeafIndex(up.num("sender"));
      const updatePath = decodeBytes(updatePathCodec, up.hex("update_path"));
      const after = tree.clone();
      const path = await mergeUpdatePath(suite, after, sender, updatePath);
      const treeHash = await after.treeHash(suite);
      expectEqualBytes("tree_hash_after", treeHash, up.hex("tree_hash_after"));
      const ctx = context(treeHash);
      const expectedSecrets = up.array("path_secrets");
      for (const p of privates) {
        if (p.index === sender) continue;
        const r = await decryptUpdatePath(
          suite,
          after,
          path,
          updatePath,
          p.index,
          p.keys,
          new Set(),
          ctx,
        );
        const expected = expectedSecrets[p.index];
        if (typeof expected !== "string") throw new Error(`path_secrets[${p.index}] missing`);
        expectEqualBytes(`path secret at leaf ${p.index}`, r.pathSecret, fromHex(expected));
        expectEqualBytes(
          `commit secret at leaf ${p.index}`,
          r.commitSecret,
          up.hex("commit_secret"),
        );
      }

      // Our own UpdatePath from the same sender must be processable by everyone else.
      const me = privates.find((p) => p.index === sender);
      if (me === undefined) continue;
      const own = tree.clone();
      const old = own.leaf(sender)!;
      const created = await createUpdatePath({
        suite,
        tree: own,
        leaf: sender,
        leafTemplate: {
          signatureKey: old.signatureKey,
          credential: old.credential,
          capabilities: old.capabilities,
          extensions: old.extensions,
        },
        signaturePrivateKey: me.signaturePriv,
        groupId,
        excludedLeaves: new Set(),
        provisionalGroupContext: context,
      });
      for (const p of privates) {
        if (p.index === sender) continue;
        const view = tree.clone();
        const vpath = await mergeUpdatePath(suite, view, sender, created.updatePath);
        const vctx = context(await view.treeHash(suite));
        expectEqualBytes("our provisional context", vctx, created.provisionalGroupContext);
        const r = await decryptUpdatePath(
          suite,
          view,
          vpath,
          created.updatePath,
          p.index,
          p.keys,
          new Set(),
          vctx,
        );
        expectEqualBytes(
          `our commit secret at leaf ${p.index}`,
          r.commitSecret,
          created.commitSecret,
        );
      }
    }
  },
};
