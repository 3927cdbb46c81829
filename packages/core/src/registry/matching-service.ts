/**
 * The `Matching` service: pairing the org units of a source version with those of a destination
 * version, and a person's validation of each pair.
 *
 * A run records an {@link AlgorithmRun} (destination = `version1Id`, source = `version2Id`, as in
 * IASO) of one catalogue algorithm, creates its {@link Link}s and ends `finished` with per-level
 * counts in `result`. Each unit takes part in at most one link per run. The algorithms, applied in
 * this order by `all`:
 *
 * 1. `exact-ref`: a destination unit and the source unit with the same `sourceRef` (the first
 *    source unit by id when several share it), score 100.
 * 2. `name-and-parent`: level by level from the roots, a destination unit and a source unit whose
 *    parents are linked to each other in this run (or which are both roots), of the same type when
 *    both have one, whose names are alike. Names are compared with the Jaro-Winkler similarity
 *    (prefix scale 0.1, common prefix up to 4) of their matching keys: the folded name (NFKD,
 *    accents removed, lower case) with IASO's phrases "aire de santé", "poste de santé", "centre de
 *    santé" removed and spaces collapsed; a unit's aliases count as more names and the best pair
 *    wins. Pairs at 0.9 or more are linked, best first; score = round(similarity × 100). IASO's
 *    own name algorithm scores 100 ÷ the number of candidates: this one scores the likeness itself.
 *    Identical keys are paired by lookup; the others are compared pair by pair within each group of
 *    siblings (quadratic in the size of a group whose names all changed).
 * 3. `distance`: for the units still unlinked, a destination unit and a source unit at most 1 km
 *    apart (great-circle, between locations, else centroids of the simplified shapes), of the same
 *    type when both have one, nearest first; score = round(100 × (1 − metres / 1000)). Pairs are
 *    not searched across the antimeridian.
 *
 * Catalogue rows (global, one per algorithm, named `@iaso/core/matching/<algorithm>`) are created
 * on first use.
 * @module
 */
import type { MultiPolygon, Point } from "geojson"
import { Context, Effect, Layer } from "effect"
import { audit } from "../kernel/audit.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { AlgorithmRunId, LinkId, MatchingAlgorithmId, OrgUnitId, OrgUnitTypeId, SourceVersionId } from "../shared/entity-ids.ts"
import { centroid, haversineMeters } from "../shared/geometry.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { JsonValue } from "../shared/json.ts"
import { chunksOf, listAll, type Repositories } from "../shared/repository.ts"
import { compareCodePoints, foldKey } from "../shared/text.ts"
import { now } from "../shared/time.ts"
import { CurrentActor, requireAny } from "../tenancy/actor.ts"
import { requireUnrestricted } from "../kernel/row-access.ts"
import { type AlgorithmRun, AlgorithmRunModel, type Link, LinkModel, type MatchingAlgorithm, MatchingAlgorithmModel } from "./matching.ts"
import { OrgUnitModel } from "./org-unit.ts"
import { jaroWinklerOf } from "./similarity.ts"
import { SourceVersionModel } from "./sources.ts"

// -----------------------------------------------------------------------------
// Similarity
// -----------------------------------------------------------------------------

export { jaroWinkler } from "./similarity.ts"

/** The phrases IASO's name matching removes (folded: accents are gone by then). */
const STRIPPED_PHRASES = ["aire de sante", "poste de sante", "centre de sante"]

/**
 * The key a name is matched on: folded (NFKD, accents removed, lower case), IASO's health-area
 * phrases removed ("aire de santé", "poste de santé", "centre de santé", with or without accent),
 * whitespace collapsed and trimmed.
 */
export const matchingName = (name: string): string => {
  let key = foldKey(name)
  for (const phrase of STRIPPED_PHRASES) key = key.split(phrase).join(" ")
  return key.replace(/\s+/g, " ").trim()
}

/** Similarity threshold of `name-and-parent`. */
export const NAME_SIMILARITY_THRESHOLD = 0.9
/** Largest distance of `distance`, in metres. */
export const MATCHING_MAX_DISTANCE_METERS = 1000

// -----------------------------------------------------------------------------
// Algorithms
// -----------------------------------------------------------------------------

/** The algorithms a run may use. */
export const MATCHING_ALGORITHMS = ["exact-ref", "name-and-parent", "distance", "all"] as const
/** An algorithm a run may use. */
export type MatchingAlgorithmName = (typeof MATCHING_ALGORITHMS)[number]

/** The catalogue row of each algorithm. */
export const MATCHING_CATALOGUE: { readonly [K in MatchingAlgorithmName]: { readonly name: string; readonly description: string } } = {
  "exact-ref": { name: "@iaso/core/matching/exact-ref", description: "Links units with the same source ref (score 100)." },
  "name-and-parent": {
    name: "@iaso/core/matching/name-and-parent",
    description: "Links units with alike names (Jaro-Winkler >= 0.9 on folded names) under linked parents, level by level from the roots."
  },
  distance: { name: "@iaso/core/matching/distance", description: "Links units of the same type at most 1 km apart, nearest first." },
  all: { name: "@iaso/core/matching/all", description: "Source refs, then names under linked parents, then distance." }
}

/** The phase that made a link. */
export type MatchingPhase = "exact-ref" | "name-and-parent" | "distance"

/** A unit as the matching reads it. */
export interface MatchUnit {
  readonly id: OrgUnitId
  readonly name: string
  readonly aliases?: ReadonlyArray<string>
  readonly parentId?: OrgUnitId
  readonly depth: number
  readonly orgUnitTypeId?: OrgUnitTypeId
  readonly sourceRef?: string
  readonly location?: Point
  readonly geom?: MultiPolygon
  readonly simplifiedGeom?: MultiPolygon
}

/** One pair found by {@link matchPyramids}. */
export interface MatchedPair {
  readonly destinationId: OrgUnitId
  readonly sourceId: OrgUnitId
  readonly score: number
  readonly phase: MatchingPhase
  /** The destination unit's depth. */
  readonly level: number
}

const byId = (a: { readonly id: string }, b: { readonly id: string }) => compareCodePoints(a.id, b.id)

const sameTypeIfTyped = (a: MatchUnit, b: MatchUnit) => a.orgUnitTypeId === undefined || b.orgUnitTypeId === undefined || a.orgUnitTypeId === b.orgUnitTypeId

const pointOf = (unit: MatchUnit): readonly [number, number] | undefined => {
  const location = unit.location?.coordinates
  if (location !== undefined && location[0] !== undefined && location[1] !== undefined) return [location[0], location[1]]
  const shape = unit.simplifiedGeom ?? unit.geom
  if (shape === undefined) return undefined
  const [lon, lat] = centroid(shape)
  return Number.isFinite(lon) && Number.isFinite(lat) ? [lon, lat] : undefined
}

/** Links pairs greedily, best first (ties by destination id, then source id), each unit once. */
const assign = <P extends { readonly destination: MatchUnit; readonly source: MatchUnit; readonly rank: number }>(
  pairs: Array<P>,
  linkedDestination: Set<string>,
  linkedSource: Set<string>,
  link: (pair: P) => void
) => {
  pairs.sort((p, q) => q.rank - p.rank || byId(p.destination, q.destination) || byId(p.source, q.source))
  for (const pair of pairs) {
    if (linkedDestination.has(pair.destination.id) || linkedSource.has(pair.source.id)) continue
    linkedDestination.add(pair.destination.id)
    linkedSource.add(pair.source.id)
    link(pair)
  }
}

/**
 * The pairs an algorithm finds between the units of a destination version and of a source version
 * (pure: no storage). See the module documentation for each algorithm.
 */
export const matchPyramids = (
  destination: ReadonlyArray<MatchUnit>,
  source: ReadonlyArray<MatchUnit>,
  algorithm: MatchingAlgorithmName
): ReadonlyArray<MatchedPair> => {
  const pairs: Array<MatchedPair> = []
  const linkedDestination = new Set<string>()
  const linkedSource = new Set<string>()
  const partnerOf = new Map<string, string>()
  const destinations = [...destination].sort(byId)
  const sources = [...source].sort(byId)
  const link = (d: MatchUnit, s: MatchUnit, score: number, phase: MatchingPhase) => {
    partnerOf.set(d.id, s.id)
    pairs.push({ destinationId: d.id, sourceId: s.id, score, phase, level: d.depth })
  }

  if (algorithm === "exact-ref" || algorithm === "all") {
    const byRef = new Map<string, Array<MatchUnit>>()
    for (const s of sources) {
      if (s.sourceRef === undefined || s.sourceRef === "") continue
      const list = byRef.get(s.sourceRef) ?? []
      list.push(s)
      byRef.set(s.sourceRef, list)
    }
    for (const d of destinations) {
      if (d.sourceRef === undefined || d.sourceRef === "") continue
      const s = byRef.get(d.sourceRef)?.find((candidate) => !linkedSource.has(candidate.id))
      if (s === undefined) continue
      linkedDestination.add(d.id)
      linkedSource.add(s.id)
      link(d, s, 100, "exact-ref")
    }
  }

  if (algorithm === "name-and-parent" || algorithm === "all") {
    const keys = new Map<string, ReadonlyArray<string>>()
    const keysOf = (unit: MatchUnit) => {
      let found = keys.get(unit.id)
      if (found === undefined) {
        found = [...new Set([unit.name, ...(unit.aliases ?? [])].map(matchingName))]
        keys.set(unit.id, found)
      }
      return found
    }
    const points = new Map<string, ReadonlyArray<string>>()
    const pointsOf = (key: string) => {
      let found = points.get(key)
      if (found === undefined) {
        found = Array.from(key)
        points.set(key, found)
      }
      return found
    }
    const similarity = (d: MatchUnit, s: MatchUnit) => {
      let best = 0
      for (const a of keysOf(d)) {
        const x = pointsOf(a)
        for (const b of keysOf(s)) {
          const y = pointsOf(b)
          // Jaro-Winkler >= 0.9 needs Jaro >= 5/6, out of reach when one key is under half the other's length.
          if (Math.min(x.length, y.length) * 2 < Math.max(x.length, y.length)) continue
          best = Math.max(best, jaroWinklerOf(x, y))
        }
      }
      return best
    }
    const ROOT = ""
    const sourceIds = new Set<string>(sources.map((s) => s.id))
    const destinationIds = new Set<string>(destinations.map((d) => d.id))
    const childrenOf = new Map<string, Array<MatchUnit>>()
    for (const s of sources) {
      const key = s.parentId !== undefined && sourceIds.has(s.parentId) ? s.parentId : ROOT
      const list = childrenOf.get(key) ?? []
      list.push(s)
      childrenOf.set(key, list)
    }
    const levels = [...new Set(destinations.map((d) => d.depth))].sort((a, b) => a - b)
    for (const level of levels) {
      // Destination units of the level, grouped by the source unit their parent is linked to (or ROOT).
      const groups = new Map<string, Array<MatchUnit>>()
      for (const d of destinations) {
        if (d.depth !== level || linkedDestination.has(d.id)) continue
        const isRoot = d.parentId === undefined || !destinationIds.has(d.parentId)
        const partner = isRoot ? ROOT : d.parentId === undefined ? undefined : partnerOf.get(d.parentId)
        if (partner === undefined) continue
        const list = groups.get(partner) ?? []
        list.push(d)
        groups.set(partner, list)
      }
      for (const [partner, group] of groups) {
        const siblings = (childrenOf.get(partner) ?? []).filter((s) => !linkedSource.has(s.id))
        // Identical keys first (similarity 1, found by lookup), then the alike ones among what is left:
        // the same links as ranking every pair, without comparing every pair when names agree.
        const byKey = new Map<string, Array<MatchUnit>>()
        for (const s of siblings) {
          for (const key of keysOf(s)) {
            const list = byKey.get(key) ?? []
            list.push(s)
            byKey.set(key, list)
          }
        }
        const identical: Array<{ readonly destination: MatchUnit; readonly source: MatchUnit; readonly rank: number }> = []
        for (const d of group) {
          const seen = new Set<string>()
          for (const key of keysOf(d)) {
            for (const s of byKey.get(key) ?? []) {
              if (seen.has(s.id) || !sameTypeIfTyped(d, s)) continue
              seen.add(s.id)
              identical.push({ destination: d, source: s, rank: 1 })
            }
          }
        }
        assign(identical, linkedDestination, linkedSource, (pair) => link(pair.destination, pair.source, 100, "name-and-parent"))
        const alike: Array<{ readonly destination: MatchUnit; readonly source: MatchUnit; readonly rank: number }> = []
        const rest = siblings.filter((s) => !linkedSource.has(s.id))
        for (const d of group) {
          if (linkedDestination.has(d.id)) continue
          for (const s of rest) {
            if (!sameTypeIfTyped(d, s)) continue
            const rank = similarity(d, s)
            if (rank >= NAME_SIMILARITY_THRESHOLD) alike.push({ destination: d, source: s, rank })
          }
        }
        assign(alike, linkedDestination, linkedSource, (pair) => link(pair.destination, pair.source, Math.round(pair.rank * 100), "name-and-parent"))
      }
    }
  }

  if (algorithm === "distance" || algorithm === "all") {
    const CELL = 0.01
    const grid = new Map<string, Array<{ readonly unit: MatchUnit; readonly point: readonly [number, number] }>>()
    const far: Array<{ readonly unit: MatchUnit; readonly point: readonly [number, number] }> = []
    for (const s of sources) {
      if (linkedSource.has(s.id)) continue
      const point = pointOf(s)
      if (point === undefined) continue
      const key = `${Math.floor(point[1] / CELL)}:${Math.floor(point[0] / CELL)}`
      const list = grid.get(key) ?? []
      list.push({ unit: s, point })
      grid.set(key, list)
      far.push({ unit: s, point })
    }
    const candidates: Array<{ readonly destination: MatchUnit; readonly source: MatchUnit; readonly rank: number; readonly meters: number }> = []
    for (const d of destinations) {
      if (linkedDestination.has(d.id)) continue
      const point = pointOf(d)
      if (point === undefined) continue
      const [lon, lat] = point
      // 0.01° of latitude is more than 1 km; the longitude span of 1 km grows towards the poles.
      const cos = Math.cos((Math.min(90, Math.abs(lat) + CELL) * Math.PI) / 180)
      const nearby: ReadonlyArray<{ readonly unit: MatchUnit; readonly point: readonly [number, number] }> =
        cos < 0.05
          ? far
          : (() => {
              const lonCells = Math.ceil(MATCHING_MAX_DISTANCE_METERS / 1000 / (111.32 * cos) / CELL)
              const row = Math.floor(lat / CELL)
              const column = Math.floor(lon / CELL)
              const out: Array<{ readonly unit: MatchUnit; readonly point: readonly [number, number] }> = []
              for (let r = row - 1; r <= row + 1; r++) for (let c = column - lonCells; c <= column + lonCells; c++) out.push(...(grid.get(`${r}:${c}`) ?? []))
              return out
            })()
      for (const candidate of nearby) {
        if (!sameTypeIfTyped(d, candidate.unit)) continue
        const meters = haversineMeters(lon, lat, candidate.point[0], candidate.point[1])
        if (meters <= MATCHING_MAX_DISTANCE_METERS) candidates.push({ destination: d, source: candidate.unit, rank: -meters, meters })
      }
    }
    assign(candidates, linkedDestination, linkedSource, (pair) =>
      link(pair.destination, pair.source, Math.round(100 * (1 - pair.meters / MATCHING_MAX_DISTANCE_METERS)), "distance")
    )
  }
  return pairs
}

// -----------------------------------------------------------------------------
// The service
// -----------------------------------------------------------------------------

/** What a run links. */
export interface MatchingRunInput {
  readonly algorithm: MatchingAlgorithmName
  /** The version whose units are the links' sources (the run's `version2Id`). */
  readonly sourceVersionId: SourceVersionId
  /** The version whose units are the links' destinations (the run's `version1Id`). */
  readonly destinationVersionId: SourceVersionId
}

/** A finished run and its links. */
export interface MatchingRunResult {
  readonly run: AlgorithmRun
  readonly links: ReadonlyArray<Link>
}

const BATCH = 2000

/** The run's `result`: links per level (the destination unit's depth) and per phase, and what stayed unlinked. */
const summarise = (
  algorithm: MatchingAlgorithmName,
  pairs: ReadonlyArray<MatchedPair>,
  destination: ReadonlyArray<MatchUnit>,
  source: ReadonlyArray<MatchUnit>
): { readonly [key: string]: JsonValue } => {
  const levels = new Map<number, { units: number; "exact-ref": number; "name-and-parent": number; distance: number }>()
  for (const unit of destination) {
    const level = levels.get(unit.depth) ?? { units: 0, "exact-ref": 0, "name-and-parent": 0, distance: 0 }
    level.units++
    levels.set(unit.depth, level)
  }
  for (const pair of pairs) {
    const level = levels.get(pair.level)
    if (level !== undefined) level[pair.phase]++
  }
  return {
    algorithm,
    links: pairs.length,
    levels: [...levels.entries()].sort(([a], [b]) => a - b).map(([level, counts]) => ({ level, ...counts })),
    unlinkedDestination: destination.length - pairs.length,
    unlinkedSource: source.length - pairs.length
  }
}

/**
 * The matching service: pairs the org units of a source version with those of a destination
 * version (`exact-ref`, `name-and-parent`, `distance`, or `all` of them in that order), recording
 * the run and its links, and a person's validation of each link. Provided by `Iaso.layer`; on the
 * Promise facade, `iaso.as(actor).matching`. Its calls are listed under `Service`.
 */
export class Matching extends Context.Service<
  Matching,
  {
    /** Runs an algorithm from a source version onto a destination version (needs `iaso_links`), in one transaction. */
    readonly run: (input: MatchingRunInput) => Effect.Effect<MatchingRunResult, ServiceWriteError, CurrentActor>
    /**
     * Confirms (`true`) or withdraws (`false`) a link (needs `iaso_links`): `validatorId` becomes the
     * actor's user or is cleared, and `validationDate` is refreshed either way (as IASO does on every save).
     */
    readonly validate: (linkId: LinkId, validated: boolean) => Effect.Effect<Link, ServiceWriteError, CurrentActor>
  }
>()("@iaso/core/Matching") {
  static readonly layer = Layer.effect(
    Matching,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Matching.of({
        run: (input) => runMatching(repos, input),
        validate: (linkId, validated) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_links"], "validating links")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(LinkModel, actor.accountId, linkId)
                const after = yield* repos.update(LinkModel, actor.accountId, linkId, {
                  validated,
                  validatorId: validated && actor.userId !== undefined ? actor.userId : null,
                  validationDate: yield* now
                })
                yield* audit(repos, actor, "LINK_API", LinkModel, [{ id: linkId, before, after }])
                return after
              })
            )
          })
      })
    })
  )
}

/** The catalogue row of an algorithm, created on first use (global rows are written through the repositories). */
const catalogueRow = (repos: Repositories, accountId: string, algorithm: MatchingAlgorithmName) =>
  Effect.gen(function* () {
    const entry = MATCHING_CATALOGUE[algorithm]
    const found = yield* repos.list(MatchingAlgorithmModel, accountId, { where: [{ field: "name", op: "eq", value: entry.name }], limit: 1 })
    const first = found.items[0]
    if (first?.id !== undefined) return first.id
    const created: MatchingAlgorithm = yield* repos.insert(MatchingAlgorithmModel, accountId, { name: entry.name, description: entry.description })
    return created.id
  })

const runMatching = (repos: Repositories, input: MatchingRunInput): Effect.Effect<MatchingRunResult, ServiceWriteError, CurrentActor> =>
  Effect.gen(function* () {
    const actor = yield* CurrentActor
    yield* requireAny(actor, ["iaso_links"], "running a matching algorithm")
    yield* requireUnrestricted(actor, "running a matching algorithm")
    const accountId = actor.accountId
    return yield* repos.driver.transaction(
      Effect.gen(function* () {
        const destination = yield* repos.get(SourceVersionModel, accountId, input.destinationVersionId)
        const source = yield* repos.get(SourceVersionModel, accountId, input.sourceVersionId)
        const algorithmId: MatchingAlgorithmId = yield* catalogueRow(repos, accountId, input.algorithm)
        const run = yield* repos.insert(AlgorithmRunModel, accountId, {
          algorithmId,
          finished: false,
          version1Id: destination.id,
          version2Id: source.id,
          ...(actor.userId === undefined ? {} : { launcherId: actor.userId })
        })
        const fields = ["name", "aliases", "parentId", "depth", "orgUnitTypeId", "sourceRef"] as const
        // The geometries (optional fields, absent when not read) only for the algorithms that measure distances.
        const select = input.algorithm === "distance" || input.algorithm === "all" ? ([...fields, "location", "simplifiedGeom"] as const) : fields
        const load = (versionId: string) =>
          listAll((page) => repos.list(OrgUnitModel, accountId, page), { where: [{ field: "versionId", op: "eq", value: versionId }], select })
        const destinationUnits = yield* load(destination.id)
        const sourceUnits = yield* load(source.id)
        const pairs = matchPyramids(destinationUnits, sourceUnits, input.algorithm)
        const at = yield* now
        const links: Array<Link> = []
        for (const batch of chunksOf(pairs, BATCH)) {
          const rows = batch.map((pair) => ({
            id: uuidv7(at.getTime()) as LinkId,
            destinationId: pair.destinationId,
            sourceId: pair.sourceId,
            validated: false,
            similarityScore: pair.score,
            algorithmRunId: run.id as AlgorithmRunId
          }))
          const written = yield* repos.insertMany(LinkModel, accountId, rows, { atomic: true })
          for (const item of written.items) if (item._tag === "Ok") links.push(item.value)
        }
        const finished = yield* repos.update(AlgorithmRunModel, accountId, run.id, {
          finished: true,
          endedAt: yield* now,
          result: summarise(input.algorithm, pairs, destinationUnits, sourceUnits)
        })
        yield* audit(repos, actor, "MATCHING", AlgorithmRunModel, [{ id: run.id, after: finished }])
        return { run: finished, links }
      })
    )
  })
