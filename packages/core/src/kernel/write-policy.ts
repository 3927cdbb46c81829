/**
 * Who may write a model through the generic path, and which fields a caller may give: the
 * declaration's `managedBy` (writes owned by a domain service), `scope` (global catalogues are the
 * host app's), `access.write` (permissions) and `computed` (fields the SDK computes).
 * @module
 */
import { Effect } from "effect"
import { Forbidden, Unsupported, ValidationError } from "../shared/errors.ts"
import type { AnyModel } from "../shared/model.ts"
import { type Actor, requireAny } from "../tenancy/actor.ts"

/**
 * Whether `actor` may write `model` generically: `Unsupported` (naming the service) for a managed
 * model, `Forbidden` for a global catalogue unless the actor is the host app, or without one of
 * the model's write permissions.
 */
export const guardGenericWrite = (model: AnyModel, actor: Actor, action: string): Effect.Effect<void, Forbidden | Unsupported> => {
  if (model.managedBy !== undefined) {
    return Effect.fail(new Unsupported({ message: `${model.name} records are written through ${model.managedBy}, not generic writes` }))
  }
  if (model.scope === "global" && actor.kind !== "system") {
    return Effect.fail(new Forbidden({ message: `${model.name} is a global catalogue: only the host app (a system actor) changes it` }))
  }
  return requireAny(actor, model.access.write, `${action} ${model.name}`)
}

/** `ValidationError` when a caller's input or patch gives a field the SDK computes. */
export const refuseComputed = (model: AnyModel, given: object): ValidationError | undefined => {
  const field = model.computed.find((name) => name in given)
  return field === undefined ? undefined : ValidationError.at([field], `${model.name}.${field} is computed by the SDK: a caller never gives it`)
}
