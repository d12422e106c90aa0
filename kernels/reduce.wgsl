// reduce: dst[g] = Σ over group g's slice of src of f(x), f chosen by MODE:
//   0  x                       (sums, and the second stage of every reduction)
//   1  x²                      (sum of squares, gradient norm)
//   2  (x − stat[stat_off]/n)² (centered sum of squares; stat holds the sum of x)
//   3  1 if x is NaN or ±Inf   (non-finite count)
// Group g covers elements [g·per_group, (g+1)·per_group) of the n; WG invocations stride it
// and combine in a fixed tree, so results do not depend on timing.
override MODE: u32 = 0u;
struct Params { n: u32, per_group: u32, src_off: u32, dst_off: u32, stat_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> stat: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let g = wid.x;
  let i0 = g * p.per_group;
  let i1 = min(p.n, i0 + p.per_group);
  var mean = 0.0;
  if (MODE == 2u) { mean = stat[p.stat_off] / f32(p.n); }
  var s = 0.0;
  for (var i = i0 + lid; i < i1; i += WG) {
    let x = src[p.src_off + i];
    if (MODE == 0u) { s = s + x; }
    else if (MODE == 1u) { s = s + x * x; }
    else if (MODE == 2u) { let d = x - mean; s = s + d * d; }
    else { s = s + select(0.0, 1.0, !is_finite(x)); }
  }
  part[lid] = s;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h >> 1u) {
    if (lid < h) { part[lid] = part[lid] + part[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u) { dst[p.dst_off + g] = part[0]; }
}
