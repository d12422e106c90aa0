// normalize: out = clamp((x − mean[j]) / √(var[j] + eps), ±clip) for x[B, D], j the column;
// NaN stays NaN through the clamp.
struct Params { n: u32, D: u32, eps: f32, clip: f32, x_off: u32, mean_off: u32, variance_off: u32, out_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let j = i % p.D;
  let z = (x[p.x_off + i] - mean[p.mean_off + j]) / sqrt(variance[p.variance_off + j] + p.eps);
  out[p.out_off + i] = clamp_nan(z, -p.clip, p.clip);
}
