import { Schema } from "effect"

/** An org unit's validation status (IASO has no state machine; writers set it). */
export const VALIDATION_STATUSES = ["NEW", "VALID", "REJECTED"] as const
export const ValidationStatus = Schema.Literals(VALIDATION_STATUSES)
export type ValidationStatus = typeof ValidationStatus.Type
