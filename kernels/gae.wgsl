// gae: generalized advantage estimation over a [T, N] rollout, one env per invocation scanning
// time backwards; advantages and returns (= advantages + values) out.
struct Params {
  T: u32, N: u32, gamma: f32, lambda: f32,
  rewards_off: u32, values_off: u32, dones_off: u32, last_values_off: u32, advantages_off: u32, returns_off: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rewards: array<f32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read> dones: array<f32>;
@group(0) @binding(4) var<storage, read> last_values: array<f32>;
@group(0) @binding(5) var<storage, read_write> advantages: array<f32>;
@group(0) @binding(6) var<storage, read_write> returns: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = flat_index(wid, nwg, lid);
  if (e >= p.N || p.T == 0u) { return; }
  var running = 0.0;
  var next = last_values[p.last_values_off + e];
  for (var t = p.T; t > 0u; t--) {
    let i = (t - 1u) * p.N + e;
    let v = values[p.values_off + i];
    let not_done = 1.0 - dones[p.dones_off + i];
    let delta = rewards[p.rewards_off + i] + p.gamma * next * not_done - v;
    running = delta + p.gamma * p.lambda * not_done * running;
    advantages[p.advantages_off + i] = running;
    returns[p.returns_off + i] = running + v;
    next = v;
  }
}
