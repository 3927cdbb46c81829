/**
 * Device scenarios, through the `Devices` service: positions posted in batches (devices found or
 * created by IMEI, the poster the owner of a device it brings, a re-sent batch a no-op), IASO's
 * rules on a position (transport choices, accuracy rounded and capped, epoch-second capture
 * times), all or nothing, and ownership handed over with the last owner following.
 * @module
 */
import { Effect, type Exit } from "effect"
import { describe, expect } from "vitest"
import { DeviceModel, DeviceOwnershipModel, DevicePositionModel } from "../devices/devices.ts"
import { Devices, type PositionInput } from "../devices/devices-service.ts"
import type { DeviceId, ProjectId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import { Actor } from "../tenancy/actor.ts"
import { UserModel } from "../tenancy/users.ts"
import { exitError, exitTag, type Harness } from "./harness.ts"

/** The message of a failed call's error. */
const messageOf = (exit: Exit.Exit<unknown, unknown>): string => String((exitError(exit) as { readonly message?: unknown } | undefined)?.message ?? "")
import { scenario } from "./scenario.ts"

const D = Effect.service(Devices)

/** An account, two field users holding `iaso_submissions`, and a position maker. */
const deviceSetup = async (h: () => Harness) => {
  const harness = h()
  const account = await harness.freshAccount()
  const repos = await harness.repos()
  const user = async (name: string) =>
    harness.run(repos.insert(UserModel, account.accountId, { username: `${name}.${uuidv7()}`, firstName: name, lastName: "", email: "", isActive: true }))
  const [alice, bob] = [await user("alice"), await user("bob")]
  const actor = (userId: string) => Actor.user({ accountId: account.accountId, userId: userId as typeof alice.id, permissions: ["iaso_submissions"] })
  const position = (imei: string, overrides: Partial<PositionInput> = {}): PositionInput => ({
    deviceId: imei,
    uuid: globalThis.crypto.randomUUID(),
    latitude: 8.48,
    longitude: -13.23,
    altitude: 12,
    transport: "foot",
    accuracy: 5,
    capturedAt: 1_764_000_000,
    ...overrides
  })
  const count = async () => ({
    devices: (await harness.inspectAccount(DeviceModel, account.accountId)).length,
    positions: (await harness.inspectAccount(DevicePositionModel, account.accountId)).length,
    ownerships: (await harness.inspectAccount(DeviceOwnershipModel, account.accountId)).length
  })
  return { harness, account, alice: actor(alice.id), bob: actor(bob.id), position, count, projectId: account.projectId as ProjectId }
}

/** Registers the device scenarios. */
export const deviceScenarios = (h: () => Harness): void => {
  describe("devices", () => {
    scenario("positions posted in a batch: devices found or created by IMEI, the poster owns the new ones, a re-sent batch changes nothing", async () => {
      const { harness, alice, bob, position, count, projectId } = await deviceSetup(h)
      const first = [
        position("imei-1", { accuracy: 12.345, capturedAt: 1_764_000_000.5, transport: "car" }),
        position("imei-1", { capturedAt: 1_764_000_060 }),
        position("imei-2")
      ]
      const posted = await harness.as(
        alice,
        Effect.flatMap(D, (devices) => devices.postPositions({ projectId, positions: first }))
      )
      expect([posted.created.length, posted.unchanged, posted.devicesCreated.map((device) => device.imei)]).toEqual([3, [], ["imei-1", "imei-2"]])
      const [one] = posted.created
      expect([one?.accuracy, one?.transport, one?.capturedAt.toISOString(), one?.location.coordinates]).toEqual([
        "12.35",
        "car",
        "2025-11-24T16:00:00.500Z",
        [-13.23, 8.48, 12]
      ])
      // Bob sends the same batch again with one more position of a known device: one stored, the device keeps its owner.
      const again = await harness.as(
        bob,
        Effect.flatMap(D, (devices) => devices.postPositions({ projectId, positions: [...first, position("imei-2")] }))
      )
      expect([again.created.length, again.unchanged, again.devicesCreated]).toEqual([1, first.map((p) => p.uuid), []])
      expect(await count()).toEqual({ devices: 2, positions: 4, ownerships: 2 })
      const listed = await harness.as(
        bob,
        Effect.flatMap(D, (devices) => devices.list())
      )
      expect(listed.map(({ device, lastOwner }) => [device.imei, lastOwner?.userId, lastOwner?.projectId, lastOwner?.end])).toEqual([
        ["imei-1", alice.userId, projectId, undefined],
        ["imei-2", alice.userId, projectId, undefined]
      ])
      const deviceId = listed[0]?.device.id as DeviceId
      const positions = await harness.as(
        bob,
        Effect.flatMap(D, (devices) => devices.positions(deviceId))
      )
      expect(positions.map((p) => p.uuid)).toEqual([first[0]?.uuid, first[1]?.uuid])
    })

    scenario(
      "a position's rules: transport among car, foot, truck; accuracy rounded half-up and capped; the batch all or nothing; the permission",
      async () => {
        const { harness, account, alice, position, count } = await deviceSetup(h)
        const post = (positions: ReadonlyArray<PositionInput>, actor = alice) =>
          harness.exitAs(
            actor,
            Effect.flatMap(D, (devices) => devices.postPositions({ positions }))
          )
        const bike = await post([position("imei-9"), position("imei-9", { transport: "bike" })])
        expect(exitTag(bike)).toBe("ValidationError")
        const negative = await post([position("imei-9", { accuracy: -1 })])
        expect(messageOf(negative)).toBe("Expected a non-negative number of metres")
        expect(await count()).toEqual({ devices: 0, positions: 0, ownerships: 0 })
        const capped = await harness.as(
          alice,
          Effect.flatMap(D, (devices) => devices.postPositions({ positions: [position("imei-9", { accuracy: 123456.789 })] }))
        )
        expect(capped.created.map((p) => p.accuracy)).toEqual(["99999"])
        const stranger = Actor.user({ accountId: account.accountId, permissions: ["iaso_sources"] })
        expect(exitTag(await post([position("imei-9")], stranger))).toBe("Forbidden")
        // Without a user (a host-app post), the device gets no owner.
        const system = await harness.as(
          account.system,
          Effect.flatMap(D, (devices) => devices.postPositions({ positions: [position("imei-10")] }))
        )
        expect([system.devicesCreated.length, (await count()).ownerships]).toEqual([1, 1])
      }
    )

    scenario("ownership handed over: the current ownership ends, the new owner is the last owner", async () => {
      const { harness, alice, bob, position } = await deviceSetup(h)
      const posted = await harness.as(
        alice,
        Effect.flatMap(D, (devices) => devices.postPositions({ positions: [position("imei-5")] }))
      )
      const deviceId = posted.devicesCreated[0]?.id as DeviceId
      const handed = await harness.as(
        alice,
        Effect.flatMap(D, (devices) => devices.setOwner(deviceId, bob.userId as NonNullable<typeof bob.userId>))
      )
      const ownerships = await harness.as(
        alice,
        Effect.flatMap(D, (devices) => devices.ownerships(deviceId))
      )
      expect(ownerships.map((o) => [o.userId, o.end !== undefined])).toEqual([
        [alice.userId, true],
        [bob.userId, false]
      ])
      expect(
        (
          await harness.as(
            bob,
            Effect.flatMap(D, (devices) => devices.lastOwner(deviceId))
          )
        )?.id
      ).toBe(handed.id)
    })
  })
}
