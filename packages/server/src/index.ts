/** Delivery service: not implemented yet. */
export const SERVER_API_VERSION = "v1";
