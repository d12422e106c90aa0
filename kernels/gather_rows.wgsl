// gather_rows: dst[i, c] = src[idx[i], c] for rows of `width` elements (indices checked on the host).
struct Params { n: u32, width: u32, src_off: u32, idx_off: u32, dst_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let k = flat_index(wid, nwg, lid);
  if (k >= p.n) { return; }
  let i = k / p.width;
  let c = k - i * p.width;
  dst[p.dst_off + k] = src[p.src_off + idx[p.idx_off + i] * p.width + c];
}
