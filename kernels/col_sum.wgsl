// col_sum: dst[chunk, j] (+)= Σ src[r, j] over the rows r of one chunk of rows_per_chunk rows.
// A launch of (⌈cols/16⌉, chunks) workgroups; with one chunk this is the column sum itself,
// with several the caller sums the [chunks, cols] partials in a second launch.
struct Params { rows: u32, cols: u32, rows_per_chunk: u32, src_off: u32, dst_off: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col = wid.x * 16u + lid.x;
  let r0 = wid.y * p.rows_per_chunk;
  let r1 = min(p.rows, r0 + p.rows_per_chunk);
  var s = 0.0;
  if (col < p.cols) {
    for (var r = r0 + lid.y; r < r1; r += 16u) { s = s + src[p.src_off + r * p.cols + col]; }
  }
  part[lid.y * 16u + lid.x] = s;
  workgroupBarrier();
  for (var h = 8u; h > 0u; h = h >> 1u) {
    if (lid.y < h) { part[lid.y * 16u + lid.x] = part[lid.y * 16u + lid.x] + part[(lid.y + h) * 16u + lid.x]; }
    workgroupBarrier();
  }
  if (lid.y == 0u && col < p.cols) {
    let di = p.dst_off + wid.y * p.cols + col;
    var v = part[lid.x];
    if (p.accumulate != 0u) { v = dst[di] + v; }
    dst[di] = v;
  }
}
