/**
 * Generated URDFs of many links, for the loader's and builder's scaling tests: a star (every link
 * on the base by its own revolute joint, laid out on a grid) and a chain (each link on the last).
 */

/** A link with a small sphere and a 0.1 kg inertial. */
function link(name: string): string {
  return `<link name="${name}"><inertial><mass value="0.1"/><inertia ixx="1e-4" iyy="1e-4" izz="1e-4" ixy="0" ixz="0" iyz="0"/></inertial>`
    + `<collision><geometry><sphere radius="0.01"/></geometry></collision></link>`;
}

function joint(i: number, parent: string, xyz: string): string {
  return `<joint name="j${i}" type="revolute"><parent link="${parent}"/><child link="l${i}"/><origin xyz="${xyz}"/>`
    + `<axis xyz="0 1 0"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint>`;
}

/** `links` links: `base` and `l1` … `l<links-1>`, each on the base (star) or on the one before (chain). */
export function bigUrdf(shape: 'star' | 'chain', links: number): string {
  const parts = ['<robot name="big">', link('base')];
  for (let i = 1; i < links; i++) {
    parts.push(link(`l${i}`));
    if (shape === 'star') parts.push(joint(i, 'base', `${(i % 100) * 0.03} ${Math.floor(i / 100) * 0.03} 0.02`));
    else parts.push(joint(i, i === 1 ? 'base' : `l${i - 1}`, '0 0 0.02'));
  }
  parts.push('</robot>');
  return parts.join('\n');
}
