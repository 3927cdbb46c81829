/**
 * `createIasoLite` of `@iaso/core/lite`: the services it holds answer as `createIaso`'s do (the
 * same verbs, the same typed errors), and the administration services are absent.
 */
import { Actor, createIaso, MemoryStore, NotFound, OrgUnits, type OrgUnitId } from "@iaso/core"
import { createIasoLite, IasoLite } from "@iaso/core/lite"
import { Effect, Layer } from "effect"
import { afterAll, describe, expect, it } from "vitest"

const lite = createIasoLite({ store: MemoryStore.layer() })
afterAll(() => lite.dispose())

describe("the lite Promise facade", () => {
  it("creates and reads the pyramid, forms and submissions as the complete client does", async () => {
    const { account, version } = await lite.accounts.setup({ name: "Lite Health" })
    const admin = lite.as(Actor.system(account.id))
    const country = await admin.orgUnits.create({ name: "Sierra Leone", versionId: version.id })
    await admin.orgUnits.create({ name: "Bo", versionId: version.id, parentId: country.id })
    const children = await admin.orgUnits.children(country.id)
    expect(children.items.map((unit) => unit.name)).toEqual(["Bo"])
    const names: Array<string | undefined> = []
    for await (const unit of admin.orgUnits.descendantsAll(country.id)) names.push(unit.name)
    expect(names).toEqual(["Bo"])
    expect((await admin.forms.list()).items).toEqual([])
    expect((await admin.instances.list()).items).toEqual([])
    expect(await admin.syncClient.outbox()).toEqual([])
    await expect(admin.orgUnits.get("missing" as OrgUnitId)).rejects.toBeInstanceOf(NotFound)
    expect(await admin.run(Effect.flatMap(Effect.service(OrgUnits), (units) => units.get(country.id)))).toMatchObject({ name: "Sierra Leone" })
  })

  it("shows the verbs of the complete client for the services it holds, and none of the others", async () => {
    const full = createIaso({ store: MemoryStore.layer() })
    try {
      const { account } = await lite.accounts.setup({ name: "Lite Verbs" })
      const liteAs = lite.as(Actor.system(account.id)) as unknown as Record<string, object>
      const fullAs = full.as(Actor.system(account.id)) as unknown as Record<string, object>
      for (const member of Object.keys(liteAs)) {
        expect(Object.keys(liteAs[member] ?? {}).sort(), member).toEqual(Object.keys(fullAs[member] ?? {}).sort())
      }
      for (const absent of ["matching", "pyramidImports", "versions", "exports", "mappings", "workflows", "users", "bulkUserCreation", "tasks", "sync"]) {
        expect(liteAs[absent], absent).toBeUndefined()
      }
    } finally {
      await full.dispose()
    }
  })

  it("IasoLite.layer builds over a store on its own", async () => {
    const units = await Effect.runPromise(
      Effect.scoped(Layer.build(IasoLite.layer.pipe(Layer.provide(MemoryStore.layer()))).pipe(Effect.map((context) => context !== undefined)))
    )
    expect(units).toBe(true)
  })
})
