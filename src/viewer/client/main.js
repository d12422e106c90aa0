/**
 * The viewer page: wires the toolbar, the 3D view, the DR panel, the signal plots, the training
 * dashboard and the replay timeline to the server connection. `window.__viewer` exposes what
 * the page shows (frame counter, step, selected env, errors) for tests and for the console.
 */
import { Connection } from './connection.js';
import { SceneView } from './scene_view.js';
import { PlotPanel } from './plot_panel.js';
import { DrPanel } from './dr_panel.js';
import { MetricsPanel } from './metrics_panel.js';
import { Timeline } from './timeline.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));

/** What the page exposes for tests: counters only grow, fields mirror the last message. */
const state = {
  connected: false, frames: 0, step: 0, playing: false, mode: 'idle', task: '', numEnvs: 0, env: 0,
  error: '', errors: [], metricsRows: 0, scene: null,
  /** @type {(env: number, body: number) => ({x0: number, y0: number, x1: number, y1: number} | null)} */
  screenBox: (env, body) => view.screenBox(env, body),
  /** @type {(env: number, body: number, local: number[]) => ({x: number, y: number} | null)} */
  screenPoint: (env, body, local) => view.screenPoint(env, body, local),
  renders: () => view.renders,
};
window.__viewer = state;

const conn = new Connection(onMessage, (up) => {
  state.connected = up;
  if (!up) $('status').textContent = 'disconnected (is sim2real view still running?)';
});
const view = new SceneView($('view'), (env, body, velocity) => conn.send({ type: 'push', env, body, velocity }));
const dr = new DrPanel($('dr'), $('dr-env'));
const metrics = new MetricsPanel($('metrics'));
const timeline = new Timeline($('timeline'), (m) => conn.send(m));
/** @type {PlotPanel[]} */
let plots = [];
bindToolbar();

/** @param {{type: string} & Record<string, any>} m */
function onMessage(m) {
  switch (m.type) {
    case 'hello': return onHello(m);
    case 'scene': return onScene(m);
    case 'frame': return onFrame(m);
    case 'status': return onStatus(m);
    case 'dr': return dr.set(m.dr);
    case 'error': return showError(m.message);
    case 'metrics': return onMetrics(m);
    default: return undefined;
  }
}

function onHello(m) {
  state.mode = m.mode;
  const task = $('task');
  task.replaceChildren(...m.tasks.map((t) => new Option(t, t)));
  task.value = state.task;
  $('metrics-section').hidden = !m.metrics;
}

function onScene(m) {
  state.scene = m;
  state.mode = m.mode;
  state.task = m.task;
  state.numEnvs = m.numEnvs;
  state.env = Math.min(state.env, m.numEnvs - 1);
  const task = $('task');
  if (![...task.options].some((o) => o.value === m.task)) task.appendChild(new Option(m.task, m.task));
  task.value = m.task;
  task.disabled = m.mode === 'replay';
  const env = $('env');
  env.replaceChildren(...m.origins.map((_, i) => new Option(String(i), String(i))));
  env.value = String(state.env);
  const actions = $('actions');
  actions.value = m.actionMode;
  actions.disabled = m.mode === 'replay';
  actions.querySelector('option[value=policy]').disabled = m.mode === 'live' && m.policy === null;
  actions.title = m.policy ? `policy: ${m.policy}` : 'no policy loaded';
  view.setScene(m);
  view.select(state.env);
  dr.setScene(m);
  dr.select(state.env);
  timeline.setScene(m);
  makePlots(m);
}

/** One chart each for observations, actions, and the reward with its terms. */
function makePlots(scene) {
  for (const p of plots) p.dispose();
  const root = $('plots');
  plots = [
    new PlotPanel(root, 'observations', scene.observations.map((s) => (s.unit ? `${s.name} [${s.unit}]` : s.name))),
    new PlotPanel(root, 'actions', scene.actions.map((s) => s.name)),
    new PlotPanel(root, 'reward and terms', ['reward', ...scene.rewardTerms]),
  ];
}

function onFrame(m) {
  state.frames++;
  state.step = m.step;
  view.setFrame(m);
  timeline.setStep(m.step);
  const s = state.scene;
  if (s && plots.length === 3) {
    const e = state.env, no = s.observations.length, na = s.actions.length, nt = s.rewardTerms.length;
    const [obs, act, rew] = plots;
    obs.push(m.step, m.obs.slice(e * no, (e + 1) * no));
    act.push(m.step, m.actions.slice(e * na, (e + 1) * na));
    rew.push(m.step, [m.rewards[e], ...m.terms.slice(e * nt, (e + 1) * nt)]);
  }
  $('status').textContent = statusText();
}

function onStatus(m) {
  state.playing = m.playing;
  state.step = m.step;
  $('play').textContent = m.playing ? 'pause' : 'play';
  $('speed').value = String(m.speed);
  $('contacts').checked = m.contacts;
  if (state.scene?.mode === 'live') $('actions').value = m.actionMode;
  $('status').textContent = statusText();
}

function onMetrics(m) {
  $('metrics-section').hidden = false;
  metrics.add(m.rows, m.reset);
  state.metricsRows = metrics.rows.length;
}

function statusText() {
  const s = state.scene;
  if (!s) return state.connected ? 'nothing loaded' : 'connecting…';
  const what = s.mode === 'replay' ? `replay ${s.replay.file}` : `${s.task} × ${s.numEnvs}`;
  return `${what} · step ${state.step} · ${state.playing ? 'playing' : 'paused'}`;
}

/** @param {string} message empty: clear */
function showError(message) {
  state.error = message;
  if (message) state.errors.push(message);
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

function bindToolbar() {
  $('play').addEventListener('click', () => conn.send({ type: state.playing ? 'pause' : 'play' }));
  $('step').addEventListener('click', () => conn.send({ type: 'step', count: 1 }));
  $('reset').addEventListener('click', () => conn.send({ type: 'reset' }));
  $('speed').addEventListener('change', (e) => conn.send({ type: 'speed', value: Number(e.target.value) }));
  $('actions').addEventListener('change', (e) => conn.send({ type: 'actions', mode: e.target.value }));
  $('task').addEventListener('change', (e) => conn.send({ type: 'load', env: e.target.value }));
  $('contacts').addEventListener('change', (e) => conn.send({ type: 'contacts', on: e.target.checked }));
  $('axes').addEventListener('change', (e) => view.showAxes(e.target.checked));
  $('follow').addEventListener('change', (e) => { view.follow = e.target.checked; });
  $('env').addEventListener('change', (e) => selectEnv(Number(e.target.value)));
  window.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === ' ') conn.send({ type: state.playing ? 'pause' : 'play' });
    else if (e.key === '.') conn.send({ type: 'step', count: 1 });
    else return;
    e.preventDefault();
  });
}

/** @param {number} env */
function selectEnv(env) {
  state.env = env;
  view.select(env);
  dr.select(env);
  for (const p of plots) p.clear();
}
