/**
 * `SceneView`: the 3D view — renderer, lights, ground, one `RobotView` per env, contact points,
 * an orbit camera that can follow the selected env, and click-to-push picking. It renders only
 * when something changed, so a paused view is a still picture.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { RobotView, robotScale } from './robot_view.js';

const MAX_CONTACTS = 512;

/** The 3D view inside a container element. Call `dispose()` to free the WebGL context. */
export class SceneView {
  /**
   * @param {HTMLElement} container element the canvas fills
   * @param {(env: number, body: number, velocity: number[]) => void} onPush called when a body is clicked
   */
  constructor(container, onPush) {
    this.container = container;
    this.onPush = onPush;
    this.renderer = new THREE.WebGLRenderer({ antialias: false, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(1);
    container.appendChild(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0xdfe6ee);
    this.camera = new THREE.PerspectiveCamera(45, 1, 0.05, 500);
    this.camera.up.set(0, 0, 1);
    this.camera.position.set(0, -5, 2);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener('change', () => { this.dirty = true; });
    this.addEnvironment();
    /** @type {RobotView[]} */
    this.robots = [];
    this.selected = 0;
    this.follow = false;
    this.axesOn = false;
    /** Frames drawn (for tests: it only grows while something changes). */
    this.renders = 0;
    this.dirty = true;
    this.contacts = this.makeContactPoints();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
    this.bindPicking();
    this.running = true;
    const loop = () => {
      if (!this.running) return;
      if (this.dirty) this.draw();
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  /** Ground grid and lights. */
  addEnvironment() {
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.4);
    sun.position.set(3, -4, 8);
    this.scene.add(sun);
    this.ground = new THREE.Mesh(new THREE.PlaneGeometry(200, 200), new THREE.MeshLambertMaterial({ color: 0xc9d1da }));
    this.ground.position.z = -0.002;
    this.scene.add(this.ground);
    this.grid = groundGrid(30, 1);
    this.scene.add(this.grid);
  }

  /** @returns {THREE.Points} the contact-point overlay (hidden until contacts arrive) */
  makeContactPoints() {
    const geom = new THREE.BufferGeometry();
    geom.setAttribute('position', new THREE.BufferAttribute(new Float32Array(3 * MAX_CONTACTS), 3));
    geom.setDrawRange(0, 0);
    const pts = new THREE.Points(geom, new THREE.PointsMaterial({ color: 0xff2222, size: 8, sizeAttenuation: false, depthTest: false }));
    pts.renderOrder = 1;
    pts.frustumCulled = false;
    this.scene.add(pts);
    return pts;
  }

  /**
   * Rebuilds the robots for a new scene message and aims the camera at the selected env.
   * @param {{robot: object, origins: number[][], numEnvs: number}} scene
   */
  setScene(scene) {
    for (const r of this.robots) r.dispose();
    this.robots = scene.origins.map((o, e) => {
      const r = new RobotView(scene.robot, o, e);
      r.showAxes(this.axesOn);
      this.scene.add(r.group);
      return r;
    });
    this.scale = robotScale(scene.robot);
    this.selected = Math.min(this.selected, this.robots.length - 1);
    this.hasPoses = false;
    this.aimPending = true;
    this.dirty = true;
  }

  /**
   * Poses the robots (and contact points) from a frame message.
   * @param {{poses: number[], contacts: number[][]}} frame
   */
  setFrame(frame) {
    const n = this.robots.length;
    if (n === 0 || frame.poses.length === 0) return;
    const per = frame.poses.length / n;
    this.robots.forEach((r, e) => r.setPoses(frame.poses, e * per));
    this.setContacts(frame.contacts);
    this.hasPoses = true;
    if (this.aimPending) this.aim();
    else if (this.follow) this.track();
    this.dirty = true;
  }

  /** @param {number[][]} contacts per env, flat xyz relative to the env origin */
  setContacts(contacts) {
    const attr = this.contacts.geometry.getAttribute('position');
    let k = 0;
    contacts.forEach((list, e) => {
      const o = this.robots[e]?.group.position;
      if (!o) return;
      for (let i = 0; i + 2 < list.length && k < MAX_CONTACTS; i += 3, k++) attr.setXYZ(k, list[i] + o.x, list[i + 1] + o.y, list[i + 2] + o.z);
    });
    attr.needsUpdate = true;
    this.contacts.geometry.setDrawRange(0, k);
  }

  /** Selects the env the camera aims at and follows. @param {number} env */
  select(env) {
    this.selected = env;
    if (this.hasPoses) this.aim();
    else this.aimPending = true;
  }

  /** Shows or hides joint axes. @param {boolean} on */
  showAxes(on) {
    this.axesOn = on;
    for (const r of this.robots) r.showAxes(on);
    this.dirty = true;
  }

  /** Puts the camera in front of the selected robot at a distance that fits it. */
  aim() {
    const r = this.robots[this.selected];
    if (!r) return;
    this.aimPending = false;
    const c = r.center(new THREE.Vector3());
    const d = Math.max(2.5, 4 * (this.scale ?? 1));
    this.controls.target.copy(c);
    this.camera.position.set(c.x + 0.15 * d, c.y - d, c.z + 0.3 * d);
    this.lastCenter = c.clone();
    this.controls.update();
    this.dirty = true;
  }

  /** Moves camera and target with the selected robot (keeps the user's viewing angle). */
  track() {
    const r = this.robots[this.selected];
    if (!r || !this.lastCenter) return;
    const c = r.center(new THREE.Vector3());
    const delta = c.clone().sub(this.lastCenter);
    this.lastCenter = c;
    this.controls.target.add(delta);
    this.camera.position.add(delta);
    this.controls.update();
  }

  /**
   * The on-screen box (CSS pixels, page coordinates) of one body, for tests and tooltips.
   * @param {number} env @param {number} body
   * @returns {{x0: number, y0: number, x1: number, y1: number} | null}
   */
  screenBox(env, body) {
    const g = this.robots[env]?.bodies[body];
    if (!g) return null;
    const box = new THREE.Box3();
    for (const c of g.children) if (c instanceof THREE.Mesh) box.expandByObject(c);
    if (box.isEmpty()) return null;
    const rect = this.renderer.domElement.getBoundingClientRect();
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < 8; i++) {
      const p = new THREE.Vector3(i & 1 ? box.max.x : box.min.x, i & 2 ? box.max.y : box.min.y, i & 4 ? box.max.z : box.min.z).project(this.camera);
      const x = rect.left + ((p.x + 1) / 2) * rect.width, y = rect.top + ((1 - p.y) / 2) * rect.height;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    return { x0, y0, x1, y1 };
  }

  /**
   * Where a point given in a body's frame is on screen (CSS pixels, page coordinates).
   * @param {number} env @param {number} body @param {number[]} local [x, y, z] in the body frame
   * @returns {{x: number, y: number} | null}
   */
  screenPoint(env, body, local) {
    const g = this.robots[env]?.bodies[body];
    if (!g) return null;
    g.updateWorldMatrix(true, false);
    const p = g.localToWorld(new THREE.Vector3(local[0], local[1], local[2])).project(this.camera);
    const rect = this.renderer.domElement.getBoundingClientRect();
    return { x: rect.left + ((p.x + 1) / 2) * rect.width, y: rect.top + ((1 - p.y) / 2) * rect.height };
  }

  /** Click (without dragging) on a body: push it along the camera's horizontal view direction. */
  bindPicking() {
    const el = this.renderer.domElement;
    let down = null;
    el.addEventListener('pointerdown', (e) => { down = [e.clientX, e.clientY]; });
    el.addEventListener('pointerup', (e) => {
      if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) return;
      const rect = el.getBoundingClientRect();
      const ndc = new THREE.Vector2(((e.clientX - rect.left) / rect.width) * 2 - 1, -((e.clientY - rect.top) / rect.height) * 2 + 1);
      const ray = new THREE.Raycaster();
      ray.setFromCamera(ndc, this.camera);
      const hit = ray.intersectObjects(this.robots.flatMap((r) => r.meshes), false)[0];
      if (!hit) return;
      const dir = ray.ray.direction.clone().setZ(0);
      if (dir.lengthSq() < 1e-9) return;
      dir.normalize().multiplyScalar(e.shiftKey ? 3 : 1);
      this.onPush(hit.object.userData.env, hit.object.userData.body, [dir.x, dir.y, 0]);
    });
  }

  /** Fits the renderer and camera to the container. */
  resize() {
    const w = Math.max(1, this.container.clientWidth), h = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.dirty = true;
  }

  /** Renders one picture. */
  draw() {
    this.dirty = false;
    this.renderer.render(this.scene, this.camera);
    this.renders++;
  }

  /** Stops rendering and frees every GPU resource. */
  dispose() {
    this.running = false;
    this.resizeObserver.disconnect();
    for (const r of this.robots) r.dispose();
    this.contacts.geometry.dispose();
    this.contacts.material.dispose();
    this.grid.geometry.dispose();
    this.grid.material.dispose();
    this.ground.geometry.dispose();
    this.ground.material.dispose();
    this.controls.dispose();
    this.renderer.dispose();
    this.renderer.domElement.remove();
  }
}

/**
 * Grid lines on the ground plane (z = 0), every `step` metres out to ±`half`.
 * @param {number} half @param {number} step
 * @returns {THREE.LineSegments}
 */
function groundGrid(half, step) {
  const v = [];
  // short segments: some software rasterizers drop a long line that crosses the camera plane
  for (let k = -half; k <= half; k += step) {
    for (let t = -half; t < half; t += step) v.push(t, k, 0, t + step, k, 0, k, t, 0, k, t + step, 0);
  }
  const geom = new THREE.BufferGeometry();
  geom.setAttribute('position', new THREE.Float32BufferAttribute(v, 3));
  return new THREE.LineSegments(geom, new THREE.LineBasicMaterial({ color: 0x9aa5b1 }));
}
