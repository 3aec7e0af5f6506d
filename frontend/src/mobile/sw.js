// The phone app's service worker (served from /m/sw.js, scope /m/, by web.mobile): Workbox keeps
// the app shell (its script, styles and the map library; ``self.__PRECACHE``, written in front
// of this file with each file's content hash) and the shell page itself, so the app starts with
// no network. The page is fetched from the network first while there is one (a new deployment
// shows at once) and from the cache when there is none.
//
// The cell's vector tiles are not this worker's: MapLibre fetches tiles from its own web workers,
// which a service worker may not see, so the page caches and serves them itself (tilecache.js).
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';

const SHELL_CACHE = 'mobile-shell';
// A weak network gives up on the page this soon and starts from the cache instead.
const NETWORK_TIMEOUT_S = 4;

self.skipWaiting();
cleanupOutdatedCaches();
precacheAndRoute(self.__PRECACHE || []);

// The page varies by language (Vary: Accept-Language, Cookie): with no network, any kept copy
// starts the app, whose words the worker chose last.
const shell = new NetworkFirst({ cacheName: SHELL_CACHE, networkTimeoutSeconds: NETWORK_TIMEOUT_S, matchOptions: { ignoreSearch: true, ignoreVary: true } });
registerRoute(new NavigationRoute(shell, { allowlist: [new RegExp(`^${self.__SHELL}`)] }));

self.addEventListener('install', (event) => {
  // The shell page is there from the first visit, not only after the next navigation.
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.add(self.__SHELL)));
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
