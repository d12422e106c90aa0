// activation_forward: y = act(x), ACT 0 = tanh, 1 = elu (α = 1). NaN in, NaN out. With
// INPLACE, x is read from y's buffer at x_off and `x` is a dummy binding.
override ACT: u32 = 0u;
override INPLACE: bool = false;
struct Params { n: u32, x_off: u32, y_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  var v: f32;
  if (INPLACE) { v = y[p.x_off + i]; } else { v = x[p.x_off + i]; }
  var r: f32;
  if (ACT == 0u) { r = tanh_f(v); } else if (v > 0.0) { r = v; } else { r = expm1_f(v); }
  y[p.y_off + i] = r;
}
