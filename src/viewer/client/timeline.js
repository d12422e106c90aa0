/**
 * `Timeline`: the replay controls — which recorded episode plays, and a scrubber over its steps.
 */

/** Episode picker and step scrubber for replays. */
export class Timeline {
  /**
   * @param {HTMLElement} root the footer holding the controls
   * @param {(msg: object) => void} send sends a message to the server
   */
  constructor(root, send) {
    this.root = root;
    this.episode = /** @type {HTMLSelectElement} */ (root.querySelector('#episode'));
    this.scrub = /** @type {HTMLInputElement} */ (root.querySelector('#scrub'));
    this.label = /** @type {HTMLElement} */ (root.querySelector('#scrub-label'));
    this.dragging = false;
    this.steps = 0;
    this.episode.addEventListener('change', () => send({ type: 'episode', index: Number(this.episode.value) }));
    this.scrub.addEventListener('pointerdown', () => { this.dragging = true; });
    this.scrub.addEventListener('pointerup', () => { this.dragging = false; });
    this.scrub.addEventListener('input', () => send({ type: 'seek', step: Number(this.scrub.value) }));
  }

  /**
   * Shows the controls for a replay scene, hides them otherwise.
   * @param {{replay?: {episodes: {env: number, steps: number, return: number, terminated: boolean}[], episode: number}}} scene
   */
  setScene(scene) {
    const r = scene.replay;
    this.root.hidden = !r;
    if (!r) return;
    this.episode.replaceChildren(...r.episodes.map((e, i) =>
      new Option(`${i}: env ${e.env}, ${e.steps} steps, return ${e.return.toFixed(1)}${e.terminated ? ' (terminated)' : ''}`, String(i))));
    this.episode.value = String(r.episode);
    this.steps = r.episodes[r.episode]?.steps ?? 0;
    this.scrub.max = String(Math.max(0, this.steps - 1));
  }

  /** Moves the scrubber to the frame's step (unless the user is dragging it). @param {number} step */
  setStep(step) {
    if (this.root.hidden) return;
    if (!this.dragging) this.scrub.value = String(step);
    this.label.textContent = `step ${step + 1} / ${this.steps}`;
  }
}
