// clamp: x = min(max(x, lo), hi) in place; NaN stays NaN so the trainer's guard can see it.
struct Params { n: u32, x_off: u32, lo: f32, hi: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i < p.n) { x[p.x_off + i] = clamp_nan(x[p.x_off + i], p.lo, p.hi); }
}
