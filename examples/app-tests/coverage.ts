/**
 * A piece of an app built on the SDK: which facilities under a supervisor's roots have no
 * submission of a form yet (the visits left to plan). It only calls the SDK's Promise facade, so
 * its tests (coverage.test.ts) run it on the memory store exactly as the app runs it on its own.
 * @module
 */
import type { Actor, FormId, IasoClient, OrgUnit, OrgUnitId, OrgUnitTypeId } from "@iaso/core"

/** The facilities (units of `facilityTypeId`) under `rootId` that have no live submission of `formId`. */
export const facilitiesToVisit = async (
  iaso: IasoClient,
  actor: Actor,
  input: { readonly rootId: OrgUnitId; readonly facilityTypeId: OrgUnitTypeId; readonly formId: FormId }
): Promise<ReadonlyArray<Pick<OrgUnit, "id" | "name">>> => {
  const as = iaso.as(actor)
  const visited = new Set<string>()
  for await (const item of as.instances.listAll({ formId: input.formId })) if (item.instance.orgUnitId !== undefined) visited.add(item.instance.orgUnitId)
  const toVisit: Array<Pick<OrgUnit, "id" | "name">> = []
  for await (const unit of as.orgUnits.descendantsAll(input.rootId))
    if (unit.id !== undefined && unit.name !== undefined && unit.orgUnitTypeId === input.facilityTypeId && !visited.has(unit.id))
      toVisit.push({ id: unit.id, name: unit.name })
  return toVisit.sort((a, b) => a.name.localeCompare(b.name))
}
