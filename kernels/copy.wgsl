// copy: dst[i] = src[i]. With INPLACE the source lives in dst's buffer (at src_off) and `src`
// is a dummy binding: WebGPU forbids binding one buffer as both read-only and writable.
override INPLACE: bool = false;
struct Params { n: u32, src_off: u32, dst_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  var v: f32;
  if (INPLACE) { v = dst[p.src_off + i]; } else { v = src[p.src_off + i]; }
  dst[p.dst_off + i] = v;
}
