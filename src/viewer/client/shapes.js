/**
 * three.js meshes for the collision shapes the server describes (see scene_description.ts):
 * boxes, spheres, cylinders and capsules along their local z, and convex hulls.
 */
import * as THREE from 'three';
import { ConvexGeometry } from 'three/addons/geometries/ConvexGeometry.js';

/** Rotation taking three's y-axis shapes (cylinder, capsule) to URDF's z axis. */
const Y_TO_Z = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(1, 0, 0), Math.PI / 2);

/**
 * The geometry of one described shape, in the shape's own frame.
 * @param {{kind: string, size?: number[], radius?: number, length?: number, vertices?: number[]}} s
 * @returns {THREE.BufferGeometry}
 */
export function shapeGeometry(s) {
  switch (s.kind) {
    case 'box': return new THREE.BoxGeometry(s.size[0], s.size[1], s.size[2]);
    case 'sphere': return new THREE.SphereGeometry(s.radius, 20, 14);
    case 'cylinder': return new THREE.CylinderGeometry(s.radius, s.radius, s.length, 20).applyQuaternion(Y_TO_Z);
    case 'capsule': return new THREE.CapsuleGeometry(s.radius, s.length, 6, 16).applyQuaternion(Y_TO_Z);
    case 'convex': {
      const v = s.vertices ?? [];
      const pts = [];
      for (let i = 0; i + 2 < v.length; i += 3) pts.push(new THREE.Vector3(v[i], v[i + 1], v[i + 2]));
      return new ConvexGeometry(pts);
    }
    default: throw new Error(`unknown shape kind ${s.kind}`);
  }
}

/**
 * A mesh for one described shape, placed at its pose in the body frame.
 * @param {{kind: string, pos: number[], quat: number[]}} s
 * @param {THREE.Material} material
 * @returns {THREE.Mesh}
 */
export function shapeMesh(s, material) {
  const mesh = new THREE.Mesh(shapeGeometry(s), material);
  mesh.position.set(s.pos[0], s.pos[1], s.pos[2]);
  mesh.quaternion.set(s.quat[0], s.quat[1], s.quat[2], s.quat[3]);
  return mesh;
}
