import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { ed25519PublicKey, registrationInput, verifyEd25519 } from "../auth.js";
import { b64, unb64 } from "../base64.js";
import { type AppContext, requireClient } from "../context.js";
import { ApiError, badRequest } from "../errors.js";
import { ClientIdResponse, ErrorSchema, MeResponse, RegisterBody } from "../schemas.js";

/** Registration (proof of possession of an Ed25519 key) and the caller's own record. */
export function clientRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: z.infer<typeof RegisterBody> }>(
    "/v1/clients",
    {
      config: { public: true },
      schema: {
        tags: ["clients"],
        summary: "Register a client (unauthenticated)",
        description:
          "Registers an Ed25519 request-signing key for a credential identity. Re-registering the same key returns the same clientId (200).",
        body: RegisterBody,
        response: { 200: ClientIdResponse, 201: ClientIdResponse, 409: ErrorSchema },
      },
    },
    async (req, reply) => {
      const identity = unb64(req.body.identityB64, "identityB64");
      const signatureKey = unb64(req.body.signatureKeyB64, "signatureKeyB64");
      const proof = unb64(req.body.proofB64, "proofB64");
      if (identity.length > 1024)
        throw badRequest("invalid_identity", "identityB64 must be at most 1024 bytes");
      if (signatureKey.length !== 32)
        throw badRequest("invalid_key", "signatureKeyB64 must be a 32-byte Ed25519 public key");
      let key: ReturnType<typeof ed25519PublicKey>;
      try {
        key = ed25519PublicKey(signatureKey);
      } catch {
        throw badRequest("invalid_key", "signatureKeyB64 is not a valid Ed25519 public key");
      }
      if (
        proof.length !== 64 ||
        !verifyEd25519(key, registrationInput(identity, signatureKey), proof)
      )
        throw badRequest(
          "bad_proof",
          "proofB64 must be the Ed25519 signature over HPQMLS-REGISTER-V1\\n<identity hex>\\n<signature key hex>",
        );
      const r = await ctx.storage.registerClient({
        clientId: b64(randomBytes(16)),
        identity,
        signatureKey,
        now: ctx.clock(),
      });
      if (!r.ok)
        throw new ApiError(
          409,
          r.reason,
          r.reason === "identity_taken"
            ? "another client already registered this identity"
            : "this signature key is registered for another identity",
        );
      return reply.code(r.created ? 201 : 200).send({ clientId: r.client.clientId });
    },
  );

  app.get(
    "/v1/clients/me",
    {
      schema: {
        tags: ["clients"],
        summary: "The authenticated client",
        response: { 200: MeResponse },
      },
    },
    async (req) => {
      const client = requireClient(req);
      return { clientId: client.clientId, identityB64: b64(client.identity) };
    },
  );
}
