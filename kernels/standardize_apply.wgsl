// standardize_apply: x = (x − mean) / (std + eps) in place, mean = stat[0]/n and
// std = √(stat[1]/n) from the sums reduce left in `stat` (population std).
struct Params { n: u32, x_off: u32, stat_off: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> stat: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let n = f32(p.n);
  let mean = stat[p.stat_off] / n;
  let inv = 1.0 / (sqrt(stat[p.stat_off + 1u] / n) + p.eps);
  x[p.x_off + i] = (x[p.x_off + i] - mean) * inv;
}
