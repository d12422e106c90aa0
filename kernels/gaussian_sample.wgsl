// gaussian_sample: out[i] = mean[i] + exp(log_std[i mod A]) · noise[i] (noise drawn on the host).
struct Params { n: u32, A: u32, mean_off: u32, log_std_off: u32, noise_off: u32, out_off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mean: array<f32>;
@group(0) @binding(2) var<storage, read> log_std: array<f32>;
@group(0) @binding(3) var<storage, read> noise: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  out[p.out_off + i] = mean[p.mean_off + i] + exp(log_std[p.log_std_off + i % p.A]) * noise[p.noise_off + i];
}
