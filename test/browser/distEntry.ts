// Bundled by test/browser/vectors.test.ts from the packages' dist/ (no "source" condition).

import { ApqMember, IndexedDbClientStore } from "@hpqmls/client";
import { getCipherSuite } from "@hpqmls/mls-core";
import { ApqSession } from "@hpqmls/pq-combiner";

export const loaded = [getCipherSuite, ApqSession, ApqMember, IndexedDbClientStore];
