/**
 * `RobotView`: one env's robot in the three.js scene — a group per body holding the meshes of
 * its collision shapes and an arrow along its joint axis — posed from the frame stream.
 */
import * as THREE from 'three';
import { shapeMesh } from './shapes.js';

const PALETTE = [0x4f7cc4, 0xe0853a, 0x59a65a, 0xc4534f, 0x8a6cc4, 0x3aa7b0, 0xb89a3a, 0xc45f9e];

/** One env's robot. Call `dispose()` to free its geometries and materials. */
export class RobotView {
  /**
   * @param {{bodies: {name: string, shapes: object[], joint: {axis: number[]} | null}[]}} robot the scene's robot description
   * @param {number[]} origin the env's origin in the world
   * @param {number} env the env index (stored on meshes for picking)
   */
  constructor(robot, origin, env) {
    /** The root object; add it to the scene. */
    this.group = new THREE.Group();
    this.group.position.set(origin[0], origin[1], origin[2]);
    /** @type {THREE.Group[]} one per body, in the pose stream's order */
    this.bodies = [];
    /** @type {THREE.ArrowHelper[]} */
    this.axes = [];
    /** @type {THREE.Material[]} */
    this.materials = [];
    /** @type {THREE.Mesh[]} every shape mesh (the picking targets) */
    this.meshes = [];
    /** @type {THREE.Mesh[]} the kinematic chain's links and joint balls (drawn, not picked) */
    this.chain = [];
    const scale = robotScale(robot);
    robot.bodies.forEach((body, i) => {
      const g = new THREE.Group();
      const material = new THREE.MeshLambertMaterial({ color: PALETTE[i % PALETTE.length] });
      this.materials.push(material);
      for (const s of body.shapes) {
        const mesh = shapeMesh(s, material);
        mesh.userData = { env, body: i };
        g.add(mesh);
        this.meshes.push(mesh);
      }
      if (body.joint) {
        const dir = new THREE.Vector3(...body.joint.axis).normalize();
        const arrow = new THREE.ArrowHelper(dir, new THREE.Vector3(), 0.35 * scale, 0xffcc00, 0.08 * scale, 0.05 * scale);
        arrow.visible = false;
        g.add(arrow);
        this.axes.push(arrow);
      }
      this.bodies.push(g);
      this.group.add(g);
    });
    this.addChain(robot, scale);
  }

  /**
   * The kinematic chain as thin grey links: from each parent body's frame origin to the joint
   * of each revolute child, fixed in the parent's frame. It keeps links whose own bodies carry
   * no collision shape (a quadruped's hips) visibly attached. Not pickable.
   * @param {{bodies: {joint: {type: string} | null, parent?: {body: number, at: number[]}}[]}} robot
   * @param {number} scale
   */
  addChain(robot, scale) {
    const material = new THREE.MeshLambertMaterial({ color: 0x8a8f98 });
    this.materials.push(material);
    const radius = 0.03 * scale;
    robot.bodies.forEach((body) => {
      const p = body.parent;
      const kind = body.joint?.type;
      if (!p || (kind !== 'revolute' && kind !== 'continuous')) return;
      const parent = this.bodies[p.body];
      if (!parent) return;
      const to = new THREE.Vector3(p.at[0], p.at[1], p.at[2]);
      const joint = new THREE.Mesh(new THREE.SphereGeometry(1.6 * radius, 12, 8), material);
      joint.position.copy(to);
      parent.add(joint);
      this.chain.push(joint);
      const length = to.length();
      if (length < 1e-6) return;
      const bone = new THREE.Mesh(new THREE.CylinderGeometry(radius, radius, length, 8), material);
      bone.position.copy(to).multiplyScalar(0.5);
      bone.quaternion.setFromUnitVectors(new THREE.Vector3(0, 1, 0), to.clone().normalize());
      parent.add(bone);
      this.chain.push(bone);
    });
  }

  /**
   * Poses every body from the flat pose array (7 per body, relative to the env origin).
   * @param {number[]} poses
   * @param {number} offset index of this env's first value
   */
  setPoses(poses, offset) {
    this.bodies.forEach((g, k) => {
      const o = offset + 7 * k;
      g.position.set(poses[o], poses[o + 1], poses[o + 2]);
      g.quaternion.set(poses[o + 3], poses[o + 4], poses[o + 5], poses[o + 6]);
    });
  }

  /** Shows or hides the joint-axis arrows. @param {boolean} on */
  showAxes(on) {
    for (const a of this.axes) a.visible = on;
  }

  /** World position of the robot's bodies' centre (of those with shapes). @param {THREE.Vector3} out */
  center(out) {
    out.set(0, 0, 0);
    let n = 0;
    const p = new THREE.Vector3();
    this.bodies.forEach((g) => {
      if (g.children.every((c) => !(c instanceof THREE.Mesh) || c.userData.body === undefined)) return;
      out.add(g.getWorldPosition(p));
      n++;
    });
    return n > 0 ? out.divideScalar(n) : this.group.getWorldPosition(out);
  }

  /** Frees geometries and materials. */
  dispose() {
    for (const m of [...this.meshes, ...this.chain]) m.geometry.dispose();
    for (const a of this.axes) a.dispose();
    for (const m of this.materials) m.dispose();
    this.group.removeFromParent();
  }
}

/**
 * A length that sizes arrows and the camera: the largest shape dimension (at least 0.2 m).
 * @param {{bodies: {shapes: {size?: number[], radius?: number, length?: number}[]}[]}} robot
 */
export function robotScale(robot) {
  let m = 0.2;
  for (const b of robot.bodies) {
    for (const s of b.shapes) {
      m = Math.max(m, ...(s.size ?? []), 2 * (s.radius ?? 0) + (s.length ?? 0));
    }
  }
  return m;
}
