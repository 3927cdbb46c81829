/**
 * The service worker: precaches the app shell (every file of the build, listed into this script
 * by vite.config.ts) so the app opens offline. Navigations go to the network first and fall back
 * to the cached page; the shell's files are served from the cache. Requests to other origins (the
 * IASO server's API) are left alone: the app's data lives in IndexedDB, not in this cache.
 * @module
 */

/** The files of the build, replaced by vite.config.ts when bundling. */
declare const __PWA_PRECACHE__: ReadonlyArray<string>
/** A digest of those files: a new build gets a new cache. */
declare const __PWA_VERSION__: string

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request
  respondWith(response: Promise<Response>): void
}
interface ServiceWorkerScope {
  readonly location: Location
  readonly registration: { readonly scope: string }
  readonly clients: { claim(): Promise<void> }
  skipWaiting(): Promise<void>
  addEventListener(type: "install" | "activate", listener: (event: ExtendableEvent) => void): void
  addEventListener(type: "fetch", listener: (event: FetchEvent) => void): void
}

const scope = self as unknown as ServiceWorkerScope
const CACHE = `iaso-pwa-shell-${__PWA_VERSION__}`
const base = new URL("./", scope.registration.scope)
const INDEX = new URL("index.html", base).href
const shell = [base.href, ...__PWA_PRECACHE__.map((file) => new URL(file, base).href)]

scope.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE)
      await cache.addAll(shell)
      await scope.skipWaiting()
    })()
  )
})

scope.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith("iaso-pwa-shell-") && name !== CACHE) await caches.delete(name)
      await scope.clients.claim()
    })()
  )
})

scope.addEventListener("fetch", (event) => {
  const request = event.request
  if (request.method !== "GET" || new URL(request.url).origin !== scope.location.origin) return
  if (request.mode === "navigate") {
    event.respondWith(
      (async () => {
        try {
          const response = await fetch(request)
          if (response.ok) await (await caches.open(CACHE)).put(INDEX, response.clone())
          return response
        } catch {
          const cached = (await caches.match(INDEX)) ?? (await caches.match(base.href))
          return cached ?? new Response("offline and not cached yet", { status: 503 })
        }
      })()
    )
    return
  }
  event.respondWith((async () => (await caches.match(request)) ?? fetch(request))())
})
