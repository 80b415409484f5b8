import type { VectorRunner } from "../runner.js";
import { cryptoBasics } from "./cryptoBasics.js";
import { deserialization } from "./deserialization.js";
import { keySchedule } from "./keySchedule.js";
import { messageProtection } from "./messageProtection.js";
import { messages } from "./messages.js";
import {
  passiveClientHandlingCommit,
  passiveClientRandom,
  passiveClientWelcome,
} from "./passiveClient.js";
import { pskSecret } from "./pskSecret.js";
import { secretTree } from "./secretTree.js";
import { transcriptHashes } from "./transcriptHashes.js";
import { treekem } from "./treekem.js";
import { treeMath } from "./treeMath.js";
import { treeOperations } from "./treeOperations.js";
import { treeValidation } from "./treeValidation.js";
import { welcome } from "./welcome.js";

/** Runners by official vector file name (without .json): all 16 files of the official set. */
export const RUNNERS: ReadonlyMap<string, VectorRunner> = new Map(
  [
    treeMath,
    deserialization,
    messages,
    cryptoBasics,
    secretTree,
    messageProtection,
    keySchedule,
    pskSecret,
    transcriptHashes,
    welcome,
    treeOperations,
    treeValidation,
    treekem,
    passiveClientWelcome,
    passiveClientHandlingCommit,
    passiveClientRandom,
  ].map((r) => [r.name, r]),
);
