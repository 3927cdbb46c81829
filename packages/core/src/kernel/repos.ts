/**
 * The repositories of the provided store as a service: the kernel every domain service writes
 * through. No permission or row-scope check happens here: services apply them (see
 * `row-access.ts` and `write-policy.ts`).
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { ALL_MODELS } from "../models.ts"
import type { AlreadyExists, Conflict, Forbidden, NotFound, StorageError, Unsupported, ValidationError, VersionConflict } from "../shared/errors.ts"
import { makeRepositories, type Repositories } from "../shared/repository.ts"
import { Store } from "../shared/store.ts"

/** The repositories of the provided store (no permission checks: for services and tests). */
export class Repos extends Context.Service<Repos, Repositories>()("@iaso/core/Repos") {
  /** Builds the repositories over the provided {@link Store}. */
  static readonly layer = Layer.effect(
    Repos,
    Effect.map(Effect.service(Store), (driver) => makeRepositories(driver, ALL_MODELS))
  )
}

/** Errors of a write through a service. */
export type ServiceWriteError = NotFound | AlreadyExists | VersionConflict | ValidationError | Conflict | Forbidden | Unsupported | StorageError
