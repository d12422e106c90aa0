// ppo_loss: the per-sample half of the fused PPO loss (one sample per invocation). Writes the
// gradients w.r.t. mean and value, and a row of W = 4 + A terms for the minibatch sums:
// [policy term, value loss, approx-KL term, clipped (0/1), ∂L/∂logσ_j for each j]. The sums
// are taken by col_sum and turned into means by ppo_loss_finalize.
const HALF_LOG_2PI: f32 = 0.91893853320467274;
struct Params {
  M: u32, A: u32, clip: f32, clip_value: u32, value_coef: f32, m_f: f32,
  mean_off: u32, log_std_off: u32, value_off: u32, actions_off: u32, old_log_prob_off: u32,
  old_value_off: u32, advantages_off: u32, returns_off: u32, grad_mean_off: u32, grad_value_off: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mean: array<f32>;
@group(0) @binding(2) var<storage, read> log_std: array<f32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> actions: array<f32>;
@group(0) @binding(5) var<storage, read> old_log_prob: array<f32>;
@group(0) @binding(6) var<storage, read> old_value: array<f32>;
@group(0) @binding(7) var<storage, read> advantages: array<f32>;
@group(0) @binding(8) var<storage, read> returns: array<f32>;
@group(0) @binding(9) var<storage, read_write> grad_mean: array<f32>;
@group(0) @binding(10) var<storage, read_write> grad_value: array<f32>;
@group(0) @binding(11) var<storage, read_write> terms: array<f32>;

/** max(a, b) that is NaN when either is (Math.max's rule, which WGSL's max does not promise). */
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return a + b; }
  return max(a, b);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.M) { return; }
  let A = p.A;
  let W = 4u + A;
  let eps = p.clip;
  // -- policy: L = max(−Â·r, −Â·clip(r, 1−ε, 1+ε)), r = exp(logp − logp_old)
  var lp = 0.0;
  for (var j = 0u; j < A; j++) {
    let ls = log_std[p.log_std_off + j];
    let z = (actions[p.actions_off + i * A + j] - mean[p.mean_off + i * A + j]) * exp(-ls);
    lp = lp + (-0.5 * z * z - ls - HALF_LOG_2PI);
  }
  let log_ratio = lp - old_log_prob[p.old_log_prob_off + i];
  let r = exp(log_ratio);
  let adv = advantages[p.advantages_off + i];
  let rc = clamp_nan(r, 1.0 - eps, 1.0 + eps);
  let unclipped = -adv * r;
  let clipped_term = -adv * rc;
  terms[i * W] = max_nan(unclipped, clipped_term);
  terms[i * W + 2u] = r - 1.0 - log_ratio;
  terms[i * W + 3u] = select(0.0, 1.0, abs(r - 1.0) > eps);
  // ∂L/∂logp: the unclipped branch carries −Â·r; the clipped branch is flat in r
  let d_logp = select(0.0, (-adv * r) / p.m_f, unclipped >= clipped_term);
  for (var j = 0u; j < A; j++) {
    let k = i * A + j;
    let ls = log_std[p.log_std_off + j];
    let inv_var = exp(-2.0 * ls);
    let z = actions[p.actions_off + k] - mean[p.mean_off + k];
    grad_mean[p.grad_mean_off + k] = d_logp * z * inv_var;
    terms[i * W + 4u + j] = d_logp * (z * z * inv_var - 1.0);
  }
  // -- value: max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²) or just (V − R)²
  let v = value[p.value_off + i];
  let ret = returns[p.returns_off + i];
  let v_old = old_value[p.old_value_off + i];
  let dv = v - v_old;
  let loss_u = (v - ret) * (v - ret);
  var d_value = 2.0 * (v - ret);
  var loss_v = loss_u;
  if (p.clip_value != 0u) {
    let vc = v_old + clamp_nan(dv, -eps, eps);
    let loss_c = (vc - ret) * (vc - ret);
    if (loss_c > loss_u) {
      loss_v = loss_c;
      d_value = select(0.0, 2.0 * (vc - ret), abs(dv) < eps);
    }
  }
  terms[i * W + 1u] = loss_v;
  grad_value[p.grad_value_off + i] = p.value_coef * d_value / p.m_f;
}
