/**
 * Units of work as Effects: the current layer of a store in the running fiber, savepoints, and
 * writes that open a unit of work of their own outside one. The outermost layer (how a unit of
 * work is serialised with others, and committed) is the store's.
 * @module
 */
import { Context, Effect, Exit } from "effect"
import type { StorageError } from "../shared/errors.ts"
import { foldLayer, newLayer, type OverlayLayer, type SeqCounter } from "./layers.ts"

/** The current layer of each store in this fiber, by the store's identity. */
const CurrentLayers = Context.Reference<ReadonlyMap<object, unknown>>("@iaso/core/overlay/CurrentLayers", {
  defaultValue: () => new Map()
})

/** A store's `transaction`. */
export type Transaction = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>

/** The units of work of one store. */
export interface UnitsOfWork<E, C extends SeqCounter> {
  /** The store's current layer in this fiber (undefined outside a unit of work). */
  readonly current: Effect.Effect<OverlayLayer<E, C> | undefined>
  /** Runs `effect` with `layer` as the store's current layer. */
  readonly within: <A, Err, R>(layer: OverlayLayer<E, C>, effect: Effect.Effect<A, Err, R>) => Effect.Effect<A, Err, R>
  /**
   * Runs `effect` in a savepoint over `below`, a layer of its own: folded into `below` when the
   * effect succeeds, dropped when it fails, dies or is interrupted.
   */
  readonly savepoint: <A, Err, R>(below: OverlayLayer<E, C>, effect: Effect.Effect<A, Err, R>) => Effect.Effect<A, Err, R>
  /**
   * The store's `transaction`: a {@link UnitsOfWork.savepoint} inside a unit of work of the store,
   * else `outermost(effect)`, the store's own outermost unit of work (which serialises it with
   * the others, runs it {@link UnitsOfWork.within} a new layer and commits that layer).
   */
  readonly transaction: (outermost: Transaction) => Transaction
  /** Runs `f` on the current layer, or, outside a unit of work, in one of its own (`transaction`). */
  readonly writing: <A>(transaction: Transaction, f: (layer: OverlayLayer<E, C>) => Effect.Effect<A, StorageError>) => Effect.Effect<A, StorageError>
}

/**
 * The units of work of a new store (each store has its own: two stores in one fiber do not see
 * each other's layers). `savepointCounter` gives a savepoint's counter from the counter below: a
 * copy (`(below) => ({ seq: below.seq })`: a rolled-back savepoint gives its sequences back) or
 * the same one (`(below) => below`: sequences are never reused within a unit of work).
 */
export const unitsOfWork = <E, C extends SeqCounter>(savepointCounter: (below: C) => C): UnitsOfWork<E, C> => {
  const identity = {}
  const current = Effect.map(Effect.service(CurrentLayers), (layers) => layers.get(identity) as OverlayLayer<E, C> | undefined)

  const within = <A, Err, R>(layer: OverlayLayer<E, C>, effect: Effect.Effect<A, Err, R>): Effect.Effect<A, Err, R> =>
    Effect.flatMap(Effect.service(CurrentLayers), (layers) => {
      const next = new Map(layers)
      next.set(identity, layer)
      return Effect.provideService(effect, CurrentLayers, next)
    })

  const savepoint = <A, Err, R>(below: OverlayLayer<E, C>, effect: Effect.Effect<A, Err, R>): Effect.Effect<A, Err, R> =>
    Effect.suspend(() => {
      const layer = newLayer(below, savepointCounter(below.counter))
      return within(layer, effect).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            if (Exit.isSuccess(exit)) foldLayer(layer, below)
          })
        )
      )
    })

  const transaction =
    (outermost: Transaction): Transaction =>
    <A, Err, R>(effect: Effect.Effect<A, Err, R>) =>
      Effect.flatMap(current, (below) => (below !== undefined ? savepoint(below, effect) : outermost(effect)))

  const writing = <A>(transaction: Transaction, f: (layer: OverlayLayer<E, C>) => Effect.Effect<A, StorageError>): Effect.Effect<A, StorageError> =>
    Effect.flatMap(current, (layer) =>
      layer !== undefined
        ? f(layer)
        : transaction(Effect.flatMap(current, (inner) => (inner === undefined ? Effect.die("the store's transaction set no layer") : f(inner))))
    )

  return { current, within, savepoint, transaction, writing }
}
