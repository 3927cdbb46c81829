/**
 * The pure side of matching (no store): Jaro-Winkler scores, the folded names compared, and how
 * aliases and types decide a pair. The conformance suite runs the algorithms on every store.
 */
import { describe, expect, it } from "vitest"
import { jaroWinkler, matchingName, matchPyramids, type MatchUnit } from "../src/registry/matching-service.ts"

describe("matching names", () => {
  it("scores known pairs with Jaro-Winkler", () => {
    expect(jaroWinkler("MARTHA", "MARHTA").toFixed(4)).toBe("0.9611")
    expect(jaroWinkler("DIXON", "DICKSONX").toFixed(4)).toBe("0.8133")
    expect(jaroWinkler("JELLYFISH", "SMELLYFISH").toFixed(4)).toBe("0.8963")
    expect(jaroWinkler("same", "same")).toBe(1)
    expect(jaroWinkler("abc", "xyz")).toBe(0)
  })

  it("folds names: accents and health-area phrases dropped, whitespace collapsed", () => {
    expect(matchingName("  Centre de Santé  TIKONKO ")).toBe("tikonko")
    expect(matchingName("Aire de santé de Kénéma")).toBe("de kenema")
    expect(matchingName("Poste de Sante Jembe")).toBe("jembe")
  })

  it("matches aliases as names; types must agree when both units have one", () => {
    const unit = (id: string, name: string, extra: Partial<MatchUnit> = {}): MatchUnit => ({ id: id as MatchUnit["id"], name, depth: 1, ...extra })
    const pairs = matchPyramids(
      [unit("d1", "Ngelehun", { aliases: ["Old Ngelehun Clinic"] }), unit("d2", "Pujehun", { orgUnitTypeId: "t1" as never })],
      [unit("s1", "Old Ngelehun Clinic"), unit("s2", "Pujehun", { orgUnitTypeId: "t2" as never })],
      "name-and-parent"
    )
    expect(pairs.map((p) => [p.destinationId, p.sourceId, p.score])).toEqual([["d1", "s1", 100]])
  })
})
