/**
 * What a service expects of the errors the repositories answer with. A repository's reads and
 * writes fail with broad unions (every `WriteError`, a listing's `ValidationError`) of which a
 * given call often cannot meet some: the service built the listing's options itself, or its own
 * checks rule the failure out. Those members become defects here, each with the reason it cannot
 * happen, so that a service's public error type keeps only what a caller can meet, and each rule
 * is written once:
 *
 * - {@link narrowErrors}: the listed errors of one call are defects (a bug, not an outcome);
 * - {@link orDieOnInvalidListing}: a listing or count whose options the service built is never
 *   refused: its `ValidationError` is a defect naming the model;
 * - {@link versionConflictAsRetryable}: a write that met a concurrent writer (a stale version) is
 *   a retryable serialization `StorageError`: running the unit of work again settles it.
 * @module
 */
import { Effect } from "effect"
import { StorageError, type VersionConflict } from "../shared/errors.ts"

/** An error with a tag and a message (every error of the SDK). */
interface TaggedError {
  readonly _tag: string
  readonly message: string
}

/** `E` without the members tagged `K`. */
export type Without<E, K extends string> = Exclude<E, { readonly _tag: K }>

/**
 * The defect a ruled-out error becomes: the reason it could not happen, then the error's tag and
 * message; the error itself is the `cause`.
 */
export class UnexpectedError extends Error {
  override readonly name = "UnexpectedError"
  constructor(why: string, error: TaggedError) {
    super(`${why} (${error._tag}: ${error.message})`, { cause: error })
  }
}

/**
 * `effect` with its errors tagged one of `tags` turned into defects ({@link UnexpectedError}):
 * failures the caller's own logic rules out, `why` saying how. Use it where a service calls a
 * repository whose error union is broader than what the call can meet, so the service's error type
 * names only what its callers can meet.
 *
 * @example
 * narrowErrors(repos.insert(DeviceModel, accountId, { imei }), ["NotFound", "VersionConflict", "Conflict"], "a new device references nothing")
 */
export const narrowErrors = <A, E extends TaggedError, R, const K extends E["_tag"]>(
  effect: Effect.Effect<A, E, R>,
  tags: ReadonlyArray<K>,
  why: string
): Effect.Effect<A, Without<E, K>, R> =>
  Effect.catchIf(
    effect,
    (error): error is Extract<E, { readonly _tag: K }> => (tags as ReadonlyArray<string>).includes(error._tag),
    (error) => Effect.die(new UnexpectedError(why, error))
    // The refinement takes the members tagged `K` out; TypeScript does not compute that for a generic `E`.
  ) as Effect.Effect<A, Without<E, K>, R>

/**
 * A listing (or count) of `model` whose options the service built itself (its conditions, order
 * and page size, never the caller's) cannot be refused: its `ValidationError` is a defect naming
 * the model. Pipe a listing, a count, or a whole-set read (`listAll`, `findIn`) through it.
 *
 * @example
 * listAll((page) => repos.list(InstanceLockModel, accountId, page), { where }).pipe(orDieOnInvalidListing(InstanceLockModel))
 */
export const orDieOnInvalidListing =
  (model: { readonly name: string }) =>
  <A, E extends TaggedError, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, Without<E, "ValidationError">, R> =>
    narrowErrors(effect, ["ValidationError"], `a listing of ${model.name} built by the service itself was refused`)

/**
 * `effect` with a `VersionConflict` (a concurrent writer changed the record first) as a retryable
 * serialization `StorageError`, whose message says to run `rerun` again (by default the unit of
 * work). For writes whose expected version the service read itself, not one the caller gave.
 */
export const versionConflictAsRetryable = <A, E extends TaggedError, R>(
  effect: Effect.Effect<A, E, R>,
  rerun = "the unit of work"
): Effect.Effect<A, Without<E, "VersionConflict"> | StorageError, R> =>
  Effect.catchIf(
    effect,
    (error): error is Extract<E, VersionConflict> => error._tag === "VersionConflict",
    (error) =>
      Effect.fail(new StorageError({ reason: "serialization", retryable: true, message: `${error.message}: changed concurrently, run ${rerun} again` }))
  ) as Effect.Effect<A, Without<E, "VersionConflict"> | StorageError, R>
