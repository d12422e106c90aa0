// adam: one bias-corrected Adam step (PyTorch's formulation) over flat buffers; step_size =
// lr / (1 − β1^t) and sqrt_bc2 = √(1 − β2^t) come from the host in f64.
struct Params {
  n: u32, beta1: f32, one_minus_beta1: f32, beta2: f32, one_minus_beta2: f32, eps: f32, step_size: f32, sqrt_bc2: f32,
  params_off: u32, grads_off: u32, m_off: u32, v_off: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let g = grads[p.grads_off + i];
  let mi = p.beta1 * m[p.m_off + i] + p.one_minus_beta1 * g;
  let vi = p.beta2 * v[p.v_off + i] + p.one_minus_beta2 * g * g;
  m[p.m_off + i] = mi;
  v[p.v_off + i] = vi;
  params[p.params_off + i] = params[p.params_off + i] - (p.step_size * mi) / (sqrt(vi) / p.sqrt_bc2 + p.eps);
}
