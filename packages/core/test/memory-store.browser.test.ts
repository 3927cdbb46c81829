/**
 * The SDK over the memory store, run in a real browser (vitest browser mode, headless Chromium):
 * set up an account, create a root org unit and a child, read the root's descendants.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Accounts, Actor, CurrentActor, Iaso, MemoryStore, OrgUnits } from "@iaso/core"

describe("memory store in the browser", () => {
  it("runs in a browser, not in Node", () => {
    const proc = (globalThis as { readonly process?: { readonly versions?: { readonly node?: string } } }).process
    expect(proc === undefined || proc.versions?.node === undefined).toBe(true)
    expect(typeof window).toBe("object")
    expect(typeof document).toBe("object")
  })

  it("sets up an account and reads an org unit's descendants", async () => {
    const program = Effect.gen(function* () {
      const accounts = yield* Accounts
      const orgUnits = yield* OrgUnits
      const setup = yield* accounts.setup({ name: "Browser Health" })
      const asSystem = <A, E>(effect: Effect.Effect<A, E, CurrentActor>) => Effect.provideService(effect, CurrentActor, Actor.system(setup.account.id))
      const root = yield* asSystem(orgUnits.create({ name: "Sierra Leone", versionId: setup.version.id }))
      const child = yield* asSystem(orgUnits.create({ name: "Southern", versionId: setup.version.id, parentId: root.id }))
      const descendants = yield* asSystem(orgUnits.descendants(root.id))
      return { setup, root, child, descendants }
    })
    const { setup, root, child, descendants } = await Effect.runPromise(program.pipe(Effect.provide(Iaso.layer), Effect.provide(MemoryStore.layer())))
    expect(setup.account.name).toBe("Browser Health")
    expect(root.parentId ?? null).toBeNull()
    expect(child.parentId).toBe(root.id)
    expect(descendants.items.map((unit) => ({ id: unit.id, name: unit.name }))).toEqual([{ id: child.id, name: "Southern" }])
  })
})
