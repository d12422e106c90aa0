// activation_backward: dx = dy · act'(x) from the forward output y: tanh' = 1 − y²,
// elu' = 1 above 0 else y + 1. With INPLACE, dy is read from dx's buffer at dy_off.
override ACT: u32 = 0u;
override INPLACE: bool = false;
struct Params { n: u32, y_off: u32, dy_off: u32, dx_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  var g: f32;
  if (INPLACE) { g = dx[p.dy_off + i]; } else { g = dy[p.dy_off + i]; }
  let v = y[p.y_off + i];
  var r: f32;
  if (ACT == 0u) { r = g * (1.0 - v * v); } else if (v > 0.0) { r = g; } else { r = g * (v + 1.0); }
  dx[p.dx_off + i] = r;
}
