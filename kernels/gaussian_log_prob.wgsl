// gaussian_log_prob: out[r] = Σ_j log N(actions[r, j] | mean[r, j], exp(log_std[j])²), one row per invocation.
const HALF_LOG_2PI: f32 = 0.91893853320467274;
struct Params { rows: u32, A: u32, mean_off: u32, log_std_off: u32, actions_off: u32, out_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mean: array<f32>;
@group(0) @binding(2) var<storage, read> log_std: array<f32>;
@group(0) @binding(3) var<storage, read> actions: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = flat_index(wid, nwg, lid);
  if (r >= p.rows) { return; }
  var lp = 0.0;
  for (var j = 0u; j < p.A; j++) {
    let ls = log_std[p.log_std_off + j];
    let z = (actions[p.actions_off + r * p.A + j] - mean[p.mean_off + r * p.A + j]) * exp(-ls);
    lp = lp + (-0.5 * z * z - ls - HALF_LOG_2PI);
  }
  out[p.out_off + r] = lp;
}
