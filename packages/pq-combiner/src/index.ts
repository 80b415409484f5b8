/** APQ-MLS combiner: not implemented yet. */
export const COMBINER_REVISION = "mlswg/mls-combiner@70d6be0";
