// moments_update: merges the column moments of x[rows, D] into the running mean and variance
// (Chan et al.), one workgroup per column: the batch mean, then the batch's centered sum of
// squares, each in a fixed tree. The count is read here and advanced by add_scalar afterwards.
struct Params { rows: u32, D: u32, x_off: u32, count_off: u32, mean_off: u32, variance_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> count: array<f32>;
@group(0) @binding(3) var<storage, read_write> mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> variance: array<f32>;

var<workgroup> part: array<f32, 256>;

fn tree_sum(lid: u32) -> f32 {
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h >> 1u) {
    if (lid < h) { part[lid] = part[lid] + part[lid + h]; }
    workgroupBarrier();
  }
  let s = part[0];
  workgroupBarrier();
  return s;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x;
  let rows = f32(p.rows);
  var s = 0.0;
  for (var i = lid; i < p.rows; i += WG) { s = s + x[p.x_off + i * p.D + j]; }
  part[lid] = s;
  let mb = tree_sum(lid) / rows;
  var q = 0.0;
  for (var i = lid; i < p.rows; i += WG) { let d = x[p.x_off + i * p.D + j] - mb; q = q + d * d; }
  part[lid] = q;
  let sq = tree_sum(lid);
  if (lid == 0u) {
    let na = count[p.count_off];
    let n = na + rows;
    let mj = mean[p.mean_off + j];
    let delta = mb - mj;
    mean[p.mean_off + j] = mj + (delta * rows) / n;
    variance[p.variance_off + j] = (variance[p.variance_off + j] * na + sq + (delta * delta * na * rows) / n) / n;
  }
}
