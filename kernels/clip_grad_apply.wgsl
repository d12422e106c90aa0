// clip_grad_apply: ‖g‖ = √(stat[0]) (a sum of squares from reduce) into norm_out; then
// g ·= max_norm / (‖g‖ + 1e-6) when that is < 1 or NaN (PyTorch's clip_grad_norm_), so a
// non-finite norm leaves non-finite gradients for the trainer's guard.
struct Params { n: u32, g_off: u32, stat_off: u32, norm_out_off: u32, max_norm: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> stat: array<f32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> norm_out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  let norm = sqrt(stat[p.stat_off]);
  if (i == 0u) { norm_out[p.norm_out_off] = norm; }
  if (i >= p.n) { return; }
  let coef = p.max_norm / (norm + 1e-6);
  if (coef < 1.0 || is_nan(coef)) { g[p.g_off + i] = g[p.g_off + i] * coef; }
}
