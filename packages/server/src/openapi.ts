import { z } from "zod";

/**
 * OpenAPI generation: route schemas are zod schemas, turned into OpenAPI 3.0 JSON schemas for
 * @fastify/swagger (request parts as their input shape, responses as their output shape).
 */

export const SECURITY_SCHEME = {
  signedRequest: {
    type: "apiKey" as const,
    in: "header" as const,
    name: "Authorization",
    description:
      'HPQMLS-Ed25519 client="<clientId>",ts="<unix seconds>",nonce="<16+ random bytes, base64url>",sig="<base64url Ed25519 signature over HPQMLS-REQUEST-V1\\n<METHOD>\\n<path with query>\\n<ts>\\n<nonce>\\n<hex SHA-256 of the body>>"',
  },
};

function toJsonSchema(schema: unknown, io: "input" | "output"): unknown {
  if (!(schema instanceof z.ZodType)) return schema;
  const json = z.toJSONSchema(schema, { target: "openapi-3.0", io, unrepresentable: "any" });
  delete (json as { $schema?: unknown }).$schema;
  return json;
}

interface RouteSchema {
  body?: unknown;
  querystring?: unknown;
  params?: unknown;
  headers?: unknown;
  response?: Record<string, unknown>;
  config?: unknown;
  [k: string]: unknown;
}

export function openApiTransform({
  schema,
  url,
  route,
}: {
  schema: unknown;
  url: string;
  route?: { config?: { public?: boolean } };
}): { schema: RouteSchema; url: string } {
  const s = { ...((schema ?? {}) as RouteSchema) };
  for (const part of ["body", "querystring", "params", "headers"] as const)
    if (s[part] !== undefined) s[part] = toJsonSchema(s[part], "input");
  if (s.response !== undefined)
    s.response = Object.fromEntries(
      Object.entries(s.response).map(([code, r]) => [code, toJsonSchema(r, "output")]),
    );
  // Only /v1 routes are signed; registration is not.
  if (!url.startsWith("/v1/") || route?.config?.public) s.security = [];
  return { schema: s, url };
}
