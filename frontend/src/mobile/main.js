// 网格员手机端 (/m/): the grid worker's offline-first app. The shell (web.mobile) carries only the
// words; the worker signs in here once for a device token, and from then on the app works from
// what the phone keeps (store.js), sending its work when it finds a network (sync.js).
//
// Drawn with the staff pages' component kit (Preact + htm): the phone app is forms and lists too.
import '../../css/mobile.css';
import { startWatermark } from '../common/watermark.js';
import { html, pageConfig, render, useCallback, useEffect, useRef, useState, useToast } from '../staff/kit.js';

import { EventsView } from './events.js';
import { HomeView } from './home.js';
import { LoginView } from './login.js';
import { PatrolView } from './patrol.js';
import { QueueView } from './queue.js';
import { allOps, deleteMeta, getCached, getMeta, setCached, setMeta } from './store.js';
import { makeClient, syncOnce } from './sync.js';
import { TagView } from './tag.js';
import { keptTiles, saveTiles } from './tilecache.js';

const TABS = ['home', 'tag', 'patrol', 'events', 'queue'];
const TAB_TEXT = { home: 'tabHome', tag: 'tabTag', patrol: 'tabPatrol', events: 'tabEvents', queue: 'tabQueue' };
const OPEN_EVENT_STATES = 'reported,accepted,dispatched,handling,replied';
const OPEN_TASK_STATES = 'planned,in_progress';
const RETRY_MS = 3000;
const TILE_REFRESH_MS = 24 * 3600 * 1000;

function useOnline() {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

/** The server's data the app shows, kept on the phone: read at once, refreshed while online. */
function useKept(names) {
  const [kept, setKept] = useState({});
  const load = useCallback(async () => {
    const entries = await Promise.all(names.map(async (n) => [n, await getCached(n)]));
    setKept(Object.fromEntries(entries.filter(([, v]) => v).map(([n, v]) => [n, v.value])));
  }, []);
  useEffect(() => {
    load();
  }, [load]);
  return [kept, load];
}

function App({ config: c }) {
  const [session, setSession] = useState(undefined); // undefined: not read yet
  const [tab, setTab] = useState(TABS.includes(window.location.hash.slice(1)) ? window.location.hash.slice(1) : 'home');
  const [ops, setOps] = useState([]);
  const [sync, setSync] = useState({ phase: 'idle' });
  const [lastSync, setLastSync] = useState(null);
  const [persisted, setPersisted] = useState(null);
  const [tiles, setTiles] = useState(null);
  const [signedOut, setSignedOut] = useState(false);
  const [kept, reload] = useKept(['area', 'tasks', 'events', 'inbox', 'templates']);
  const [toast, say] = useToast();
  const online = useOnline();
  const token = useRef(null);
  token.current = session ? session.token : null;
  const running = useRef(false);
  const retry = useRef(null);
  const watermarked = useRef(false);

  const client = useRef(null);
  if (!client.current) {
    client.current = makeClient(c, () => token.current, () => {
      setSignedOut(true);
      setSession(null);
      deleteMeta('session');
    });
  }

  const refreshOps = useCallback(async () => setOps(await allOps()), []);

  useEffect(() => {
    getMeta('session').then((s) => setSession(s || null));
    getMeta('lastSync').then(setLastSync);
    refreshOps();
    if ('serviceWorker' in navigator) navigator.serviceWorker.register(c.urls.worker, { scope: c.urls.shell }).catch(() => {});
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().then(setPersisted, () => setPersisted(false));
    keptTiles().then((n) => setTiles({ done: n, total: n }), () => {});
  }, []);

  /** The server's data for the phone: the area (and its tiles), my tasks and their checklists, events, messages. */
  const fetchData = useCallback(async () => {
    const api = client.current;
    const area = await api.get(c.urls.area);
    await setCached('area', area);
    const tasks = await api.get(`${c.urls.tasks}?worker=me&state=${OPEN_TASK_STATES}`);
    await setCached('tasks', tasks.results || tasks);
    const templates = { ...((await getCached('templates')) || { value: {} }).value };
    for (const task of tasks.results || tasks) {
      if (!templates[task.template]) templates[task.template] = await api.get(c.urls.template.replace('{id}', task.template));
    }
    await setCached('templates', templates);
    const events = await api.get(`${c.urls.events}?state=${OPEN_EVENT_STATES}&page_size=100`);
    await setCached('events', events.results || events);
    const inbox = await api.get(`${c.urls.inbox}?unread=true`);
    await setCached('inbox', inbox.results || inbox);
    await reload();
    if (area.tiles && area.tiles.urls.length) {
      // The tiles the map draws refresh themselves while online (tilecache.js); the rest of the
      // cell is fetched again once a day, and a new tile (a new cell) at once.
      const savedAt = await getMeta('tilesAt');
      const refresh = !savedAt || Date.now() - Date.parse(savedAt) > TILE_REFRESH_MS;
      saveTiles(area.tiles.urls, { token: token.current, refresh, onProgress: (done, total) => setTiles({ done, total }) }).then(
        (done) => done === area.tiles.urls.length && setMeta('tilesAt', new Date().toISOString()),
        () => {},
      );
    }
  }, []);

  /** One sync round, then fresh data; never two rounds at once. */
  const kick = useCallback(async ({ quiet = true } = {}) => {
    if (running.current || !token.current || !navigator.onLine) return;
    clearTimeout(retry.current);
    running.current = true;
    try {
      await syncOnce({ config: c, client: client.current, user: session.user.id, report: setSync });
      setLastSync(await getMeta('lastSync'));
      await refreshOps();
      await fetchData();
    } catch (err) {
      setSync({ phase: 'idle' });
      if (!quiet) say(err.message, 'error');
      // A connection cut mid-round: try again soon rather than at the next tick.
      if (err.status === 0) retry.current = setTimeout(() => kick(), RETRY_MS);
    } finally {
      running.current = false;
      await refreshOps();
    }
  }, [session]);

  useEffect(() => {
    // 看数水印, as on every internal page: the signed-in worker and the time (the shell is the
    // same for everyone, so the name comes from the session kept on the phone).
    if (session && !watermarked.current) {
      watermarked.current = true;
      startWatermark({ viewer: `${session.user.name || ''} ${session.user.username}`.trim(), timeZone: c.settings.timeZone }, { lang: c.lang, tone: 'dark' });
    }
  }, [session]);

  useEffect(() => {
    if (!session) return undefined;
    kick();
    const timer = setInterval(kick, c.settings.syncEverySeconds * 1000);
    return () => clearInterval(timer);
  }, [session, kick]);
  useEffect(() => {
    if (online && session) kick();
  }, [online]);

  const go = (next) => {
    setTab(next);
    window.history.replaceState(null, '', `#${next}`);
  };

  /** After the worker did something: the queue shows it at once, and goes up if it can. */
  const queued = useCallback(async (message) => {
    await refreshOps();
    say(message || c.text.saved);
    kick();
  }, [kick]);

  if (session === undefined) return null;
  if (!session) {
    return html`<${LoginView} c=${c} client=${client.current} notice=${signedOut ? c.text.signedOut : null}
      onSignedIn=${async (s) => {
        await setMeta('session', s);
        // The watermark names the worker signed in before: start clean (the shell is kept).
        if (watermarked.current) return window.location.reload();
        setSignedOut(false);
        setSession(s);
        return null;
      }} />`;
  }

  const mine = ops.filter((op) => op.user === session.user.id);
  const open = mine.filter((op) => op.state === 'pending' || op.state === 'waiting' || op.state === 'conflict').length;
  const shared = { c, session, client: client.current, kept, ops: mine, online, queued, say };
  const views = {
    home: html`<${HomeView} ...${shared} tiles=${tiles} getToken=${() => token.current} go=${go} />`,
    tag: html`<${TagView} ...${shared} />`,
    patrol: html`<${PatrolView} ...${shared} />`,
    events: html`<${EventsView} ...${shared} />`,
    queue: html`<${QueueView} ...${shared} sync=${sync} lastSync=${lastSync} persisted=${persisted} refreshOps=${refreshOps}
      onSync=${() => kick({ quiet: false })}
      onSignOut=${async () => {
        try {
          await client.current.post(c.urls.logout, {});
        } catch {
          // Offline: the token expires on its own, or the administrator revokes it.
        }
        await deleteMeta('session');
        window.location.reload();
      }} />`,
  };
  const other = c.lang === 'en' ? 'zh' : 'en';
  return html`<div class="m-app" data-online=${online ? 'true' : 'false'}>
    <header class="m-head">
      <strong>${c.text.appName}</strong>
      <span class="who">${session.user.name || session.user.username}</span>
      <span class=${`net ${online ? 'is-on' : 'is-off'}`} role="status">${online ? c.text.online : c.text.offline}</span>
      <a class="lang" href=${`?lang=${other}${window.location.hash}`}>${other === 'en' ? 'English' : '中文'}</a>
    </header>
    <main class="m-main">${views[tab]}</main>
    ${toast}
    <nav class="m-tabs" role="tablist">
      ${TABS.map(
        (t) => html`<button type="button" role="tab" data-tab=${t} aria-selected=${t === tab ? 'true' : 'false'} onClick=${() => go(t)}>
          ${c.text[TAB_TEXT[t]]}${t === 'queue' && open ? html` <small class="badge" data-count=${open}>${open}</small>` : null}
        </button>`,
      )}
    </nav>
  </div>`;
}

const config = pageConfig();
render(html`<${App} config=${config} />`, document.getElementById('app'));
